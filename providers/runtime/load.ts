/**
 * The thin provider that Pulumi serializes into state.
 *
 * Pulumi stores a dynamic provider's code, serialized with everything it
 * captures, in the state of every resource it manages, and evaluates it in a
 * plain Node.js process with no TypeScript support. A real provider
 * serialized that way would put its validation and backends in each
 * resource's state. So the provider Pulumi sees is a shell that names the
 * resource's module in this checkout and forwards every call to the
 * `provider` that module exports, loaded from its TypeScript source.
 */
import type * as pulumi from "@pulumi/pulumi";
import * as path from "path";

type ProviderModule = { provider: pulumi.dynamic.ResourceProvider };

/**
 * Requires a TypeScript module from the provider process. Each file is
 * transpiled once and cached by content under ~/.cache/flow-nexus/ts, so a
 * provider process starts in milliseconds and loads the compiler only after
 * an edit. Where `.ts` files already load (a test runner), it just requires.
 */
export function loadModule<T>(file: string): T {
    if (!require.extensions[".ts"]) {
        const fs = require("fs");
        const path = require("path");
        const crypto = require("crypto");
        const os = require("os");
        const cacheDir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "flow-nexus", "ts");
        let ts: typeof import("typescript") | undefined;
        require.extensions[".ts"] = (module: NodeModule, filename: string) => {
            const source: string = fs.readFileSync(filename, "utf8");
            const key = crypto.createHash("sha256").update(filename).update("\0").update(source).digest("hex");
            const cached = path.join(cacheDir, `${key}.js`);
            let js: string;
            try {
                js = fs.readFileSync(cached, "utf8");
            } catch {
                ts ??= require("typescript") as typeof import("typescript");
                js = ts.transpileModule(source, {
                    fileName: filename,
                    compilerOptions: {
                        module: ts.ModuleKind.CommonJS,
                        target: ts.ScriptTarget.ES2022,
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
            (module as unknown as { _compile(code: string, file: string): void })._compile(js, filename);
        };
    }
    return require(file) as T;
}

/**
 * The provider to hand to `dynamic.Resource`: it forwards to the `provider`
 * exported by `file` (the resource's own module, `__filename`). Create one
 * per resource type and share it: Pulumi caches a provider's serialization
 * by object identity.
 */
export function forwardingProvider(file: string): pulumi.dynamic.ResourceProvider {
    // The engine starts programs and providers in the project's directory, so
    // a relative path keeps working when the checkout moves, and keeps this
    // machine's paths out of the state.
    const relative = path.relative(process.cwd(), file);
    const target = () => loadModule<ProviderModule>(require("path").resolve(relative)).provider;
    return {
        configure: async (req) => target().configure?.(req),
        check: async (olds, news) => target().check!(olds, news),
        diff: async (id, olds, news) => target().diff!(id, olds, news),
        create: async (inputs) => target().create(inputs),
        read: async (id, props) => target().read!(id, props),
        update: async (id, olds, news) => target().update!(id, olds, news),
        delete: async (id, props) => target().delete!(id, props),
    };
}
