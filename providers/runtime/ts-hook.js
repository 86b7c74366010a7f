// @ts-check
"use strict";

/**
 * Makes `require` load TypeScript: each file is transpiled once and cached by
 * content under ~/.cache/flow-nexus/ts, so a process starts in milliseconds
 * and loads the compiler only after an edit. Does nothing where `.ts` files
 * already load (ts-node, a test runner). Self-contained, because Pulumi
 * serializes it into every flow-nexus resource's provider (see ./load.ts).
 */
function installTypeScriptHook() {
    if (require.extensions[".ts"]) return;
    const fs = require("fs");
    const path = require("path");
    const crypto = require("crypto");
    const os = require("os");
    const cacheDir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "flow-nexus", "ts");
    /** @type {typeof import("typescript") | undefined} */
    let ts;
    require.extensions[".ts"] = (module, filename) => {
        const source = fs.readFileSync(filename, "utf8");
        const key = crypto.createHash("sha256").update(filename).update("\0").update(source).digest("hex");
        const cached = path.join(cacheDir, `${key}.js`);
        let js;
        try {
            js = fs.readFileSync(cached, "utf8");
        } catch {
            // From the file's own node_modules: this hook may run from anywhere.
            ts = ts || require("module").createRequire(filename)("typescript");
            const compiler = /** @type {typeof import("typescript")} */ (ts);
            js = compiler.transpileModule(source, {
                fileName: filename,
                compilerOptions: {
                    module: compiler.ModuleKind.CommonJS,
                    target: compiler.ScriptTarget.ES2022,
                    useDefineForClassFields: false,
                    esModuleInterop: true,
                    inlineSourceMap: true,
                },
            }).outputText;
            fs.mkdirSync(cacheDir, { recursive: true });
            const tmp = `${cached}.${process.pid}`;
            fs.writeFileSync(tmp, js);
            fs.renameSync(tmp, cached);
        }
        /** @type {any} */ (module)._compile(js, filename);
    };
}

module.exports = { installTypeScriptHook };
