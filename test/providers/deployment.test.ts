/**
 * Deployment on the local backend: real sandboxes, real app processes,
 * real HTTP, real Postgres (the audit log).
 */
import { strict as assert } from "assert";
import { existsSync, promises as fs } from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { readDeployment } from "../../providers/deployment/record";
import { Inputs, Outputs, provider } from "../../providers/deployment/resource";
import { isListening } from "../../providers/runtime/ports";
import { groupMembers, processesWithEnv, signalGroup, waitUntil } from "../../providers/runtime/process";
import { SANDBOX_MARKER } from "../../providers/sandbox/processes";
import { Outputs as SandboxOutputs, provider as sandboxProvider } from "../../providers/sandbox/resource";
import { asEngine, rejection, removeStackData, tempDataDir, testTags } from "../support";

const deployments = asEngine(provider);
const sandboxes = asEngine(sandboxProvider);
const TEMPLATE_DIR = path.join(__dirname, "..", "..", "templates", "node-http");

/** A GET on a fresh connection: status and body. */
export function get(url: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        http.get(url, { agent: false }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (chunk) => (body += chunk));
            res.on("end", () => resolve({ status: res.statusCode!, body }));
        }).on("error", reject);
    });
}

describe("providers: Deployment (local)", function () {
    this.timeout(120_000);
    let dataDir: string;
    let sandbox: SandboxOutputs;
    const live: Outputs[] = [];
    let names = 0;

    async function inputs(overrides: Partial<Inputs> & { port: number }): Promise<Inputs> {
        const news = {
            sandboxId: sandbox.sandboxId,
            source: { template: "node-http" },
            healthPath: "/health",
            backend: { kind: "local", dataDir },
            tags: testTags("Deployment", `app-${++names}`),
            ...overrides,
        };
        const { inputs, failures } = await deployments.check({}, news);
        assert.deepEqual(failures, []);
        return inputs;
    }

    async function create(overrides: Partial<Inputs> & { port: number }): Promise<Outputs> {
        const { id, outs } = await deployments.create(await inputs(overrides));
        assert.equal(id, outs.deploymentId);
        live.push(outs);
        return outs;
    }

    /** What check makes of the state's inputs with `changes`, as `up` would send them to diff and update. */
    async function edited(state: Outputs, changes: Partial<Inputs>): Promise<Inputs> {
        const { sandboxId, source, env, port, healthPath, healthTimeoutSeconds, backend, tags } = state;
        const { inputs, failures } = await deployments.check(state, { sandboxId, source, env, port, healthPath, healthTimeoutSeconds, backend, tags, ...changes });
        assert.deepEqual(failures, []);
        return inputs;
    }

    async function update(state: Outputs, news: Inputs): Promise<Outputs> {
        const diff = await deployments.diff(state.deploymentId, state, news);
        assert.equal(diff.changes, true);
        assert.deepEqual(diff.replaces, [], "an update in place, not a replacement");
        const { outs } = await deployments.update(state.deploymentId, state, news);
        live[live.findIndex((d) => d.deploymentId === state.deploymentId)] = outs;
        return outs;
    }

    const sandboxProcesses = () => processesWithEnv(SANDBOX_MARKER, sandbox.sandboxId);

    before(async function () {
        dataDir = await tempDataDir();
        const { inputs: sandboxInputs } = await sandboxes.check({}, {
            template: "node",
            ports: 4,
            backend: { kind: "local", dataDir },
            tags: testTags("Sandbox", "apps"),
        });
        sandbox = (await sandboxes.create(sandboxInputs)).outs;
    });

    after(async function () {
        for (const deployment of live) await deployments.delete(deployment.deploymentId, deployment);
        if (sandbox) await sandboxes.delete(sandbox.sandboxId, sandbox);
        await removeStackData(dataDir);
    });

    it("deploys the node-http template: GET healthUrl answers 200 and the page shows APP_MESSAGE", async function () {
        const port = sandbox.allocatedPorts[0];
        const app = await create({ port, env: { APP_MESSAGE: "Hello from the deployment test" } });
        assert.match(app.deploymentId, /^dep-[0-9a-f]{12}$/);
        assert.equal(app.url, `http://127.0.0.1:${port}`);
        assert.equal(app.healthUrl, `http://127.0.0.1:${port}/health`);
        assert.equal(app.status, "healthy");
        assert.match(app.sourceHash, /^[0-9a-f]{64}$/);
        assert.equal(app.appDir, path.join(sandbox.workDir, "apps", app.deploymentId));
        assert.ok(existsSync(path.join(app.appDir, "server.js")));

        const health = await get(app.healthUrl);
        assert.equal(health.status, 200);
        assert.equal(JSON.parse(health.body).status, "ok");
        assert.match((await get(`${app.url}/`)).body, /Hello from the deployment test/);

        const record = (await readDeployment(app.appDir))!;
        assert.deepEqual([record.port, record.startCommand, record.healthUrl], [port, "node server.js", app.healthUrl]);
        assert.ok(groupMembers(record.process!).length > 0, "deployment.json names the running app");
        assert.deepEqual((await deployments.read(app.deploymentId, app)).props, app);
    });

    it("an env change updates in place: same deploymentId, new content, the old process gone", async function () {
        const app = live[0];
        const before = (await readDeployment(app.appDir))!.process!;
        const outs = await update(app, await edited(app, { env: { APP_MESSAGE: "Changed message" } }));
        assert.equal(outs.deploymentId, app.deploymentId);
        assert.equal(outs.sourceHash, app.sourceHash);
        assert.match((await get(`${outs.url}/`)).body, /Changed message/);
        assert.deepEqual(groupMembers(before), []);
    });

    it("a source change updates in place: same deploymentId, new sourceHash, the new code serving", async function () {
        const app = live[0];
        const dir = path.join(dataDir, "my-app");
        await fs.cp(TEMPLATE_DIR, dir, { recursive: true });
        const server = path.join(dir, "server.js");
        await fs.writeFile(server, (await fs.readFile(server, "utf8")).replace("<h1>", "<h1>Edited source: "));
        await fs.mkdir(path.join(dir, "node_modules", "ignored"), { recursive: true });

        const moved = await update(app, await edited(app, { source: { directory: dir } }));
        assert.equal(moved.deploymentId, app.deploymentId);
        assert.notEqual(moved.sourceHash, app.sourceHash);
        assert.match((await get(`${moved.url}/`)).body, /Edited source: Changed message/);
        assert.ok(!existsSync(path.join(moved.appDir, "node_modules", "ignored")), "node_modules is not copied");

        // An edit of a file in the same directory is a change too.
        await fs.writeFile(server, (await fs.readFile(server, "utf8")).replace("Edited source: ", "Edited again: "));
        const again = await update(moved, await edited(moved, {}));
        assert.equal(again.deploymentId, app.deploymentId);
        assert.notEqual(again.sourceHash, moved.sourceHash);
        assert.match((await get(`${again.url}/`)).body, /Edited again: Changed message/);
        const unchanged = await deployments.diff(again.deploymentId, again, await edited(again, {}));
        assert.equal(unchanged.changes, false);
    });

    it("read reports an app whose process died unhealthy with an empty sourceHash, and the next update heals it", async function () {
        const app = live[0];
        const record = (await readDeployment(app.appDir))!;
        signalGroup(record.process!, "SIGKILL");
        assert.ok(await waitUntil(async () => !(await isListening(app.port)), 5000));

        const drifted = (await deployments.read(app.deploymentId, app)).props as Outputs;
        assert.equal(drifted.deploymentId, app.deploymentId);
        assert.equal(drifted.status, "unhealthy");
        assert.equal(drifted.sourceHash, "");

        const healed = await update(drifted, await edited(drifted, {}));
        assert.equal(healed.status, "healthy");
        assert.equal(healed.sourceHash, app.sourceHash);
        assert.equal((await get(app.healthUrl)).status, 200);
    });

    it("an app that never becomes healthy fails create with the tail of its log, and leaves no process or folder", async function () {
        const dir = path.join(dataDir, "sick-app");
        await fs.mkdir(dir);
        await fs.writeFile(
            path.join(dir, "app.js"),
            `for (let i = 1; i <= 60; i++) console.log("boot line " + i);
             require("http").createServer((q, s) => { s.statusCode = 503; s.end("not ready"); }).listen(Number(process.env.PORT), "127.0.0.1");`,
        );
        const port = sandbox.allocatedPorts[1];
        const before = sandboxProcesses();
        const err = await rejection(async () =>
            deployments.create(await inputs({ port, source: { directory: dir }, startCommand: "node app.js", healthTimeoutSeconds: 5 })),
        );
        assert.match(err.message, /was not ready \(GET http:\/\/127\.0\.0\.1:\d+\/health answered 200\) within healthTimeoutSeconds \(5\); last answer: HTTP 503/);
        assert.match(err.message, /boot line 60$/);
        assert.doesNotMatch(err.message, /boot line 20\n/, "only the tail of the log is quoted");
        assert.equal(await isListening(port), false);
        assert.deepEqual(sandboxProcesses().sort(), before.sort());
        const apps = await fs.readdir(path.join(sandbox.workDir, "apps"));
        assert.deepEqual(apps.filter((a) => a.startsWith("dep-")), [live[0].deploymentId]);
    });

    it("an app that exits at once fails create without waiting for the timeout", async function () {
        const dir = path.join(dataDir, "crashing-app");
        await fs.mkdir(dir);
        await fs.writeFile(path.join(dir, "server.js"), 'console.error("cannot start: missing DATABASE_URL"); process.exit(3);');
        const started = Date.now();
        const err = await rejection(async () => deployments.create(await inputs({ port: sandbox.allocatedPorts[1], source: { directory: dir } })));
        assert.ok(Date.now() - started < 30_000, "it did not wait for the whole healthTimeoutSeconds");
        assert.match(err.message, /exited before GET .* answered 200/);
        assert.match(err.message, /cannot start: missing DATABASE_URL/);
    });

    it("a port another process holds fails create with a message naming it", async function () {
        const port = sandbox.allocatedPorts[2];
        const squatter = net.createServer();
        await new Promise<void>((resolve) => squatter.listen(port, "127.0.0.1", resolve));
        try {
            const err = await rejection(async () => deployments.create(await inputs({ port })));
            assert.match(err.message, new RegExp(`port ${port} of 127.0.0.1 is in use by another process`));
        } finally {
            await new Promise((resolve) => squatter.close(resolve));
        }
    });

    it("installs dependencies with npm when package.json declares them", async function () {
        // A dependency vendored in the source, so npm installs it without a registry.
        const dir = path.join(dataDir, "app-with-deps");
        const dep = path.join(dir, "vendor", "greeting-lib");
        await fs.mkdir(dep, { recursive: true });
        await fs.writeFile(path.join(dep, "package.json"), JSON.stringify({ name: "greeting-lib", version: "1.0.0", main: "index.js" }));
        await fs.writeFile(path.join(dep, "index.js"), 'module.exports = () => "hello from a dependency";');
        await fs.writeFile(path.join(dir, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", dependencies: { "greeting-lib": "file:./vendor/greeting-lib" } }));
        await fs.writeFile(
            path.join(dir, "server.js"),
            `const greet = require("greeting-lib");
             require("http").createServer((q, s) => s.end(q.url === "/health" ? "ok" : greet())).listen(Number(process.env.PORT), "127.0.0.1");`,
        );
        const news = await inputs({ port: sandbox.allocatedPorts[3], source: { directory: dir } });
        assert.equal(news.installCommand, "npm install --omit=dev --no-audit --no-fund");
        const { outs } = await deployments.create(news);
        live.push(outs);
        assert.equal((await get(`${outs.url}/`)).body, "hello from a dependency");
        assert.ok(existsSync(path.join(outs.appDir, "node_modules", "greeting-lib")));
    });

    it("a failing install command fails create with its output", async function () {
        const err = await rejection(async () =>
            deployments.create(await inputs({ port: sandbox.allocatedPorts[1], installCommand: "echo resolving; echo 'npm ERR! 404 nope' >&2; exit 1" })),
        );
        assert.match(err.message, /the install command of deployment dep-[0-9a-f]{12} \(.*\) exited with code 1; the last lines of its output:\nresolving\nnpm ERR! 404 nope$/);
    });

    it("delete stops the app, frees its port and removes its folder; deleting again succeeds", async function () {
        const app = live.pop()!;
        const record = (await readDeployment(app.appDir))!;
        await deployments.delete(app.deploymentId, app);
        assert.deepEqual(groupMembers(record.process!), []);
        assert.equal(await isListening(app.port), false);
        assert.equal(existsSync(app.appDir), false);
        assert.equal(existsSync(app.logFile), false);
        assert.deepEqual((await deployments.read(app.deploymentId, app)).props, undefined);
        await deployments.delete(app.deploymentId, app);
    });

    it("deploys the static-site template: its page and /health", async function () {
        const site = await create({ port: sandbox.allocatedPorts[3], source: { template: "static-site" } });
        assert.equal((await get(site.healthUrl)).status, 200);
        const page = await get(`${site.url}/`);
        assert.equal(page.status, 200);
        assert.match(page.body, /flow-nexus static site/);
        assert.equal((await get(`${site.url}/index.html`)).body, page.body);
        assert.equal((await get(`${site.url}/../server.js`)).status, 404);
    });

    it("without a health check, an app is ready once its port listens", async function () {
        const site = await create({ port: sandbox.allocatedPorts[2], source: { template: "static-site" }, healthPath: undefined });
        assert.equal(site.healthUrl, "");
        assert.equal((await get(`${site.url}/`)).status, 200);
        assert.equal((await deployments.read(site.deploymentId, site)).props.status, "healthy");
        await deployments.delete(site.deploymentId, site);
        live.splice(live.indexOf(site), 1);
    });

    it("read reports a deployment gone once its sandbox is gone, and delete still succeeds", async function () {
        const site = live[live.length - 1];
        await sandboxes.delete(sandbox.sandboxId, sandbox);
        assert.equal(await isListening(site.port), false);
        assert.deepEqual((await deployments.read(site.deploymentId, site)).props, undefined);
        for (const deployment of live.splice(0)) await deployments.delete(deployment.deploymentId, deployment);
    });
});
