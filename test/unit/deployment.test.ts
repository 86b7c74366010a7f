import { strict as assert } from "assert";
import { promises as fs } from "fs";
import * as path from "path";
import { Inputs, Outputs, provider } from "../../providers/deployment/resource";
import { hashDirectory, sourceHash } from "../../providers/deployment/source-hash";
import { UNKNOWN } from "../../providers/runtime/schema";
import { asEngine, tempDataDir } from "../support";

const deployments = asEngine(provider);
const tags = { "flow-nexus:project": "p", "flow-nexus:stack": "dev", "flow-nexus:urn": "urn:pulumi:dev::p::flownexus:Deployment::app" };
const valid = { sandboxId: "sbx-0123456789ab", source: { template: "node-http" }, port: 8080, backend: { kind: "local", dataDir: "/tmp/x" }, tags };

async function check(overrides: Record<string, unknown>): Promise<{ inputs: Inputs; reasons: string[] }> {
    const { inputs, failures } = await deployments.check({}, { ...valid, ...overrides });
    return { inputs, reasons: (failures ?? []).map((f: { reason: string }) => f.reason) };
}

const reasons = async (overrides: Record<string, unknown>) => (await check(overrides)).reasons;

describe("unit: Deployment inputs", function () {
    let dir: string;

    before(async function () {
        dir = await tempDataDir();
    });
    after(async function () {
        await fs.rm(dir, { recursive: true, force: true });
    });

    async function sourceDir(name: string, files: Record<string, string>): Promise<string> {
        const root = path.join(dir, name);
        for (const [file, content] of Object.entries(files)) {
            await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true });
            await fs.writeFile(path.join(root, file), content);
        }
        return root;
    }

    it("applies the defaults for a template and hashes its files", async function () {
        const { inputs, reasons } = await check({});
        assert.deepEqual(reasons, []);
        assert.deepEqual(
            { ...inputs, backend: undefined, tags: undefined, sourceHash: undefined },
            {
                sandboxId: "sbx-0123456789ab",
                source: { template: "node-http" },
                port: 8080,
                env: {},
                links: [],
                healthTimeoutSeconds: 60,
                startCommand: "node server.js",
                sourceHash: undefined,
                backend: undefined,
                tags: undefined,
            },
        );
        assert.match(inputs.sourceHash, /^[0-9a-f]{64}$/);
        assert.equal(inputs.installCommand, undefined, "the templates have no dependencies to install");
        assert.notEqual((await check({ source: { template: "static-site" } })).inputs.sourceHash, inputs.sourceHash);
    });

    it("defaults a directory's install to npm when package.json has dependencies, and its start to server.js", async function () {
        const withDeps = await sourceDir("deps", { "package.json": JSON.stringify({ dependencies: { express: "^4" } }), "server.js": "" });
        const deps = await check({ source: { directory: withDeps } });
        assert.deepEqual(deps.reasons, []);
        assert.equal(deps.inputs.installCommand, "npm install --omit=dev --no-audit --no-fund");
        assert.equal(deps.inputs.startCommand, "node server.js");

        const noDeps = await sourceDir("nodeps", { "package.json": JSON.stringify({ devDependencies: { mocha: "^11" } }), "server.js": "" });
        assert.equal((await check({ source: { directory: noDeps } })).inputs.installCommand, undefined);

        const given = await check({ source: { directory: withDeps }, installCommand: "npm ci", startCommand: "npm start" });
        assert.deepEqual([given.inputs.installCommand, given.inputs.startCommand], ["npm ci", "npm start"]);
    });

    it("requires a start command for a directory without server.js", async function () {
        const app = await sourceDir("python-app", { "app.py": "print('hi')" });
        assert.deepEqual(await reasons({ source: { directory: app } }), ["startCommand is required for a directory source without server.js"]);
        assert.deepEqual(await reasons({ source: { directory: app }, startCommand: "python3 app.py" }), []);
    });

    it("names the property and what is allowed", async function () {
        const cases: [Record<string, unknown>, string][] = [
            [{ port: 80 }, "port must be a whole number from 1024 to 65535 (got 80)"],
            [{ port: 65536 }, "port must be a whole number from 1024 to 65535 (got 65536)"],
            [{ port: 8080.5 }, "port must be a whole number from 1024 to 65535 (got 8080.5)"],
            [{ port: undefined }, "port must be a whole number from 1024 to 65535 (got nothing)"],
            [{ healthPath: "health" }, 'healthPath must start with a slash, e.g. /health (got "health")'],
            [{ healthPath: "/health check" }, 'healthPath must start with a slash, e.g. /health (got "/health check")'],
            [{ healthTimeoutSeconds: 4 }, "healthTimeoutSeconds must be a whole number from 5 to 600 seconds (got 4)"],
            [{ healthTimeoutSeconds: 601 }, "healthTimeoutSeconds must be a whole number from 5 to 600 seconds (got 601)"],
            [{ source: { template: "rails" } }, 'source.template must be one of node-http, static-site, realtime-notes (got "rails")'],
            [{ source: { directory: "app" } }, 'source.directory must be an absolute path (got "app")'],
            [{ source: { directory: "/no/such/flow-nexus/app" } }, 'source.directory must be an existing directory (got "/no/such/flow-nexus/app")'],
            [
                { source: { template: "node-http", directory: "/srv/app" } },
                'source must be exactly one of { template: "node-http" | "static-site" | "realtime-notes" } or { directory: "<absolute path>" } (got {"template":"node-http","directory":"/srv/app"})',
            ],
            [{ source: {} }, 'source must be exactly one of { template: "node-http" | "static-site" | "realtime-notes" } or { directory: "<absolute path>" } (got {})'],
            [{ env: { PORT: "1" } }, "env must not set PORT: the port input sets it"],
            [{ env: { "MY-VAR": "1" } }, 'env key "MY-VAR" must be a letter or underscore followed by letters, digits or underscores'],
            [{ env: { N: 1 } }, 'env.N must be a string (got 1)'],
            [{ sandboxId: "" }, "sandboxId must be a non-empty string"],
            [{ startCommand: "" }, "startCommand must be a non-empty string"],
            [{ backend: { kind: "mainframe" } }, 'backend.kind must be one of local, cloud for this resource (got "mainframe")'],
        ];
        for (const [overrides, reason] of cases) assert.deepEqual(await reasons(overrides), [reason], JSON.stringify(overrides));
    });

    it("leaves values unknown at preview alone, the source hash unknown with them", async function () {
        const { inputs, reasons } = await check({ source: { directory: UNKNOWN }, port: UNKNOWN, sandboxId: UNKNOWN });
        assert.deepEqual(reasons, []);
        assert.equal(inputs.sourceHash, UNKNOWN);
    });

    it("hashes a source by its files' paths and bytes, wherever it lives, without node_modules and .git", async function () {
        const a = await sourceDir("hash-a", { "server.js": "x", "public/index.html": "<h1>", "node_modules/dep/index.js": "1", ".git/HEAD": "ref" });
        const b = await sourceDir("hash-b", { "server.js": "x", "public/index.html": "<h1>" });
        assert.equal(await hashDirectory(a), await hashDirectory(b));
        await fs.writeFile(path.join(b, "public", "index.html"), "<h2>");
        assert.notEqual(await hashDirectory(a), await hashDirectory(b));
        const c = await sourceDir("hash-c", { "server.js": "x", "public/index.htm": "<h1>" });
        assert.notEqual(await hashDirectory(a), await hashDirectory(c), "a renamed file is a change");
    });

    it("remembers a settled source's hash by its files' signature, and any edit, even keeping size and mtime, is seen", async function () {
        const saved = process.env.XDG_CACHE_HOME;
        process.env.XDG_CACHE_HOME = path.join(dir, "cache");
        const remembered = async () => JSON.parse(await fs.readFile(path.join(dir, "cache", "flow-nexus", "source-hashes.json"), "utf8").catch(() => "{}"));
        try {
            const src = await sourceDir("cached", { "server.js": "one", "public/a.txt": "a" });
            assert.equal(await sourceHash(src), await hashDirectory(src));
            assert.deepEqual(await remembered(), {}, "files written just now are not trusted to their signature");

            const past = new Date(Date.now() - 60_000);
            for (const f of ["server.js", "public/a.txt"]) await fs.utimes(path.join(src, f), past, past);
            await new Promise((r) => setTimeout(r, 2100)); // ctime settles too
            const first = await sourceHash(src);
            assert.equal((await remembered())[src].hash, first);
            assert.equal(await sourceHash(src), first);

            await fs.writeFile(path.join(src, "server.js"), "two");
            await fs.utimes(path.join(src, "server.js"), past, past);
            assert.equal(await sourceHash(src), await hashDirectory(src));
            assert.notEqual(await sourceHash(src), first, "same size and mtime, new bytes: a new hash");
        } finally {
            if (saved === undefined) delete process.env.XDG_CACHE_HOME;
            else process.env.XDG_CACHE_HOME = saved;
        }
    });
});

describe("unit: Deployment diff", function () {
    const olds = {
        ...valid,
        env: { APP_MESSAGE: "hi" },
        startCommand: "node server.js",
        healthPath: "/health",
        healthTimeoutSeconds: 60,
        sourceHash: "a".repeat(64),
        deploymentId: "dep-0123456789ab",
    } as unknown as Outputs;
    const diff = (news: Record<string, unknown>) => deployments.diff("dep-0123456789ab", olds, { ...olds, ...news });

    it("replaces the deployment when its sandbox changes, freeing the port first when it stays the same", async function () {
        const same = await diff({ sandboxId: "sbx-ba9876543210" });
        assert.deepEqual([same.replaces, same.deleteBeforeReplace], [["sandboxId"], true]);
        const moved = await diff({ sandboxId: "sbx-ba9876543210", port: 9090 });
        assert.deepEqual([moved.replaces, moved.deleteBeforeReplace], [["sandboxId"], false]);
    });

    it("redeploys in place when the source, its files, env, commands, port or health check change", async function () {
        for (const change of [
            { source: { directory: "/srv/app" }, sourceHash: "b".repeat(64) },
            { sourceHash: "b".repeat(64) },
            { sourceHash: "" },
            { env: { APP_MESSAGE: "bye" } },
            { installCommand: "npm ci" },
            { startCommand: "npm start" },
            { port: 9090 },
            { healthPath: "/ready" },
            { healthTimeoutSeconds: 120 },
        ]) {
            const result = await diff(change);
            assert.equal(result.changes, true, JSON.stringify(change));
            assert.deepEqual(result.replaces, [], JSON.stringify(change));
        }
    });

    it("sees no change when nothing changed", async function () {
        assert.equal((await diff({})).changes, false);
    });
});
