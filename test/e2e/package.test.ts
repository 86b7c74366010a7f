/**
 * flow-nexus as a package: `npm pack` of this checkout, installed into a
 * plain JavaScript Pulumi program elsewhere (its own Pulumi.yaml, no
 * TypeScript, nothing of the checkout on its paths), which brings two
 * platforms up, previews no change and destroys them.
 */
import { strict as assert } from "assert";
import { execFile } from "child_process";
import { promises as fs, readFileSync, readdirSync } from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { probe } from "../../providers/runtime/http";
import { PROJECT_DIR, TestStack } from "./harness";

const run = promisify(execFile);
const FIXTURE = path.join(__dirname, "fixtures", "package-consumer");

/** The command lines of the processes running now that mention `text`. */
function processesMentioning(text: string): string[] {
    return readdirSync("/proc")
        .filter((name) => /^\d+$/.test(name))
        .map((pid) => {
            try {
                return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
            } catch {
                return "";
            }
        })
        .filter((cmdline) => cmdline.includes(text));
}

describe("package: the packed tarball in another Pulumi program", function () {
    let workDir: string;
    let programDir: string;
    let dataDir: string;
    let stack: TestStack;

    before(async function () {
        workDir = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-package-"));
        // The stack's Postgres runs as the postgres user, who must pass through to the data folder.
        await fs.chmod(workDir, 0o755);
        programDir = path.join(workDir, "program");
        dataDir = path.join(workDir, "data");
        await fs.cp(FIXTURE, programDir, { recursive: true });
        // `npm pack` builds dist/ first (prepack), as a publish would.
        const { stdout } = await run("npm", ["pack", "--silent", "--pack-destination", workDir], { cwd: PROJECT_DIR });
        const tarball = path.join(workDir, stdout.trim().split("\n").at(-1)!);
        const ours = JSON.parse(await fs.readFile(path.join(PROJECT_DIR, "package.json"), "utf8"));
        const manifest = {
            name: "flow-nexus-consumer",
            private: true,
            main: "index.js",
            dependencies: { "@pulumi/pulumi": ours.dependencies["@pulumi/pulumi"], "flow-nexus": `file:${tarball}` },
        };
        await fs.writeFile(path.join(programDir, "package.json"), JSON.stringify(manifest, null, 2));
        await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: programDir });
        stack = await TestStack.create(programDir, { config: { dataDir }, secrets: { password: "consumer-password-123" } });
    });
    after(async function () {
        await stack?.dispose();
        if (workDir) await fs.rm(workDir, { recursive: true, force: true });
    });

    it("installs as a JavaScript package: compiled code, types, no TypeScript at run time", async function () {
        const installed = path.join(programDir, "node_modules", "flow-nexus");
        // Resolved by a Node.js process of the program's own, as the program resolves them.
        const script = 'for (const id of ["flow-nexus", "flow-nexus/resources", "flow-nexus/runtime"]) console.log(require.resolve(id))';
        const [main, resources, runtime] = (await run(process.execPath, ["-e", script], { cwd: programDir })).stdout.trim().split("\n");
        assert.equal(main, path.join(installed, "dist", "components", "index.js"));
        assert.equal(resources, path.join(installed, "dist", "providers", "index.js"));
        assert.equal(runtime, path.join(installed, "runtime", "index.js"));
        assert.ok(await fs.stat(path.join(installed, "dist", "components", "index.d.ts")));
        await assert.rejects(fs.stat(path.join(programDir, "node_modules", "typescript")), "typescript is not a dependency of the package");
        const sources = (await fs.readdir(installed, { recursive: true })).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
        assert.deepEqual(sources, []);
    });

    it("brings two platforms up, each complete and serving, with providers from the installed package", async function () {
        await stack.up();
        const outputs = await stack.outputs();
        assert.deepEqual(outputs.complete, [true, true]);
        assert.equal(outputs.resourceClasses, true);
        for (const url of outputs.urls as string[]) assert.equal((await probe(`${url}/health`, 5000)).statusCode, 200, url);

        const providers = (await stack.exportState()).deployment.resources!.map((r) => r.inputs?.__provider).filter(Boolean) as string[];
        assert.equal(providers.length, 18, "nine resources a platform");
        for (const provider of providers) {
            assert.match(provider, /node_modules\/flow-nexus\/dist\/providers\/runtime\/serve\.js/);
            assert.ok(!provider.includes(PROJECT_DIR), "a serialized provider names the checkout");
        }
        // The stack's gateway, its one supervisor and its one watchdog, for both platforms.
        const helpers = processesMentioning(dataDir).filter((p) => p.includes("--require"));
        assert.equal(helpers.length, 3, helpers.join("\n"));
        for (const helper of helpers) assert.ok(helper.includes(path.join(programDir, "node_modules", "flow-nexus", "dist")), helper);
    });

    it("previews no change, then destroys both platforms and leaves no process", async function () {
        await stack.preview("--expect-no-changes");
        await stack.destroy();
        assert.deepEqual(await stack.resources("Sandbox"), []);
        assert.deepEqual(processesMentioning(dataDir), []);
    });
});
