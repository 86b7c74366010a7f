/**
 * Contract: the E2B Deployment and Monitor backends against the real `e2b`
 * SDK (./fake-e2b answers its HTTP), with the apps' health checks answered
 * by a fake of the sandbox's public host.
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import { once } from "events";
import { promises as fs } from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { Inputs as DeploymentInputs, Outputs as DeploymentOutputs, provider as deploymentProvider } from "../../providers/deployment/resource";
import { Inputs as MonitorInputs, Outputs as MonitorOutputs, provider as monitorProvider } from "../../providers/monitor/resource";
import { sandboxWatchdogScript } from "../../providers/monitor/sandbox-watchdog";
import { setTransport } from "../../providers/runtime/clients";
import { waitUntil } from "../../providers/runtime/process";
import { setCredentials } from "../../providers/runtime/credentials";
import { rejection } from "../support";
import { FakeE2B, FakeSandbox } from "./fake-e2b";
import { FakeHttp, json } from "./fake-http";
import { checked, CLOUD, cloudDatabase, engine, FAKE_CREDENTIALS, restoreTransport, stackConfig, tagsOf } from "./support";

describe("contract: Deployment and Monitor on E2B", function () {
    this.timeout(60_000);
    const deployments = engine<DeploymentInputs, DeploymentOutputs>(deploymentProvider);
    const monitors = engine<MonitorInputs, MonitorOutputs>(monitorProvider);
    const e2b = new FakeE2B();
    /** The sandbox's public host: `https://<port>-<sandboxId>.e2b.test`. */
    const apps = new FakeHttp();
    let db: Awaited<ReturnType<typeof cloudDatabase>>;
    let sandbox: FakeSandbox;
    let names = 0;

    const deploymentInputs = (overrides: Partial<DeploymentInputs> = {}) =>
        checked(deployments, {
            sandboxId: sandbox.sandboxID,
            source: { template: "node-http" },
            port: 8080,
            healthPath: "/health",
            healthTimeoutSeconds: 5,
            backend: CLOUD,
            tags: tagsOf("Deployment", `app${++names}`),
            ...overrides,
        } as DeploymentInputs);

    const deploy = async (overrides: Partial<DeploymentInputs> = {}) => (await deployments.create(await deploymentInputs(overrides))).outs!;

    const monitorInputs = (overrides: Partial<MonitorInputs> = {}) =>
        checked(monitors, {
            targets: [{ name: "app", url: `https://8080-${sandbox.sandboxID}.e2b.test/health`, deploymentId: "dep-1", sandboxId: sandbox.sandboxID }],
            intervalSeconds: 10,
            alerts: [{ type: "webhook", url: "https://hooks.example.test/alerts" }],
            backend: CLOUD,
            tags: tagsOf("Monitor", `mon${++names}`),
            ...overrides,
        } as MonitorInputs);

    const file = (name: string) => sandbox.files.get(name)?.toString("utf8");

    before(async function () {
        db = await cloudDatabase();
        setTransport({ e2b: await e2b.listen(), fetch: apps.fetch });
        await deployments.configure(stackConfig({ ...FAKE_CREDENTIALS, databaseUrl: db.url }));
        apps.on("GET", /^\/health$/, () => json(200, { ok: true }));
    });

    beforeEach(function () {
        sandbox = e2b.add({ metadata: {} });
    });

    after(async function () {
        restoreTransport();
        setCredentials({});
        await e2b.close();
        await db?.stop();
    });

    afterEach(function () {
        assert.deepEqual(e2b.http.unmatched.map((r) => `${r.method} ${r.url.pathname}`), []);
        e2b.http.clearRecords();
        apps.clearRecords();
    });

    describe("Deployment", function () {
        it("uploads the source in one batch, installs, starts in the background with no timeout, and checks health through the host URL", async function () {
            const app = await deploy({ installCommand: "npm install --omit=dev", env: { GREETING: "hi" } });
            // One batch for the source (and the record); then the record again, with the app's pid.
            const [batch, rewrite] = e2b.http.calls("POST", /^\/files$/).map((r) => r.body.toString("latin1"));
            const uploaded = (body: string) => [...body.matchAll(/filename="([^"]+)"/g)].map((m) => m[1]);
            const recordFile = `/home/user/.flow-nexus/deployments/${app.deploymentId}.json`;
            assert.deepEqual(uploaded(batch).sort(), [`${app.appDir}/package.json`, `${app.appDir}/server.js`, recordFile].sort());
            assert.deepEqual(uploaded(rewrite), [recordFile]);
            assert.equal(file(`${app.appDir}/server.js`), await fs.readFile(path.resolve(__dirname, "../../templates/node-http/server.js"), "utf8"));
            assert.ok(file(`${app.appDir}/package.json`));

            const install = e2b.commands.find((c) => c.script.includes("npm install --omit=dev"))!;
            assert.equal(install.cwd, app.appDir);
            assert.equal(install.envs.GREETING, "hi");
            const start = e2b.commands.find((c) => c.script.startsWith("exec sh -c"))!;
            assert.equal(start.envs.FLOW_NEXUS_START, "node server.js");
            assert.equal(start.envs.PORT, "8080");
            const starts = e2b.http.calls("POST", /Process\/Start$/);
            const background = starts.find((r) => r.body.includes(Buffer.from("exec sh -c")))!;
            assert.equal(background.headers.get("connect-timeout-ms"), null, "a server must not have a command timeout");
            assert.ok(starts.find((r) => r.body.includes(Buffer.from("npm install")))!.headers.get("connect-timeout-ms"));

            const [health] = apps.calls("GET", /^\/health$/);
            assert.equal(health.url.host, `8080-${sandbox.sandboxID}.e2b.test`);
            assert.equal(app.status, "healthy");
            assert.equal(app.url, `https://8080-${sandbox.sandboxID}.e2b.test`);
            assert.equal(app.healthUrl, `https://8080-${sandbox.sandboxID}.e2b.test/health`);
            const record = JSON.parse(file(`/home/user/.flow-nexus/deployments/${app.deploymentId}.json`)!);
            assert.equal(record.pid, start.pid);
            assert.ok(sandbox.running.has(start.pid));
        });

        it("links give the app the Supabase project's URL and anon key (the service-role key only when asked), never in state", async function () {
            const bucket = { type: "StorageBucket", name: "files", bucket: "app-files", public: false };
            const app = await deploy({ links: [bucket] } as never);
            const start = e2b.commands.filter((c) => c.script.startsWith("exec sh -c")).at(-1)!;
            assert.equal(start.envs.SUPABASE_URL, FAKE_CREDENTIALS.supabaseUrl);
            assert.equal(start.envs.SUPABASE_ANON_KEY, FAKE_CREDENTIALS.supabaseAnonKey);
            assert.equal(start.envs.SUPABASE_SERVICE_ROLE_KEY, undefined);
            assert.deepEqual(JSON.parse(start.envs.FLOW_NEXUS_RESOURCES), { files: { type: "StorageBucket", bucket: "app-files", public: false } });
            const withKey = await deploy({ links: [{ ...bucket, serviceRole: true }] } as never);
            const started = e2b.commands.filter((c) => c.script.startsWith("exec sh -c")).at(-1)!;
            assert.equal(started.envs.SUPABASE_SERVICE_ROLE_KEY, FAKE_CREDENTIALS.supabaseServiceRoleKey);
            for (const outs of [app, withKey]) {
                for (const key of [FAKE_CREDENTIALS.supabaseAnonKey, FAKE_CREDENTIALS.supabaseServiceRoleKey]) assert.ok(!JSON.stringify(outs).includes(key), "no key in the outputs");
            }
        });

        it("a link without the project's keys in stack config fails the preview, naming the key to set", async function () {
            setCredentials({ ...FAKE_CREDENTIALS, supabaseAnonKey: undefined, databaseUrl: db.url });
            try {
                const { failures } = await deployments.check({} as never, {
                    sandboxId: sandbox.sandboxID,
                    source: { template: "node-http" },
                    port: 8080,
                    links: [{ type: "RealtimeSubscription", name: "changes", table: "app.notes" }],
                    backend: CLOUD,
                    tags: tagsOf("Deployment", "unkeyed"),
                } as never);
                assert.deepEqual(failures?.map((f: { property: string }) => f.property), ["links"]);
                assert.match(failures![0].reason, /cloud needs flow-nexus:supabaseAnonKey in stack config: `pulumi config set --secret flow-nexus:supabaseAnonKey/);
            } finally {
                setCredentials({ ...FAKE_CREDENTIALS, databaseUrl: db.url });
            }
        });

        it("adopts what an interrupted run left: the same deployment id, its old process stopped first", async function () {
            const first = await deploy();
            const again = await deployments.create(await deploymentInputs({ tags: first.tags }));
            assert.equal(again.id, first.deploymentId);
            assert.equal(sandbox.running.size, 1, "exactly one app process");
        });

        it("redeploys in place on a source change and replaces on another sandbox", async function () {
            const app = await deploy();
            const other = e2b.add({ metadata: {} });
            const diff = await deployments.diff(app.deploymentId, app, await deploymentInputs({ sandboxId: other.sandboxID, tags: app.tags }));
            assert.deepEqual(diff.replaces, ["sandboxId"]);
            const edited = await deploymentInputs({ source: { template: "static-site" }, tags: app.tags });
            assert.deepEqual((await deployments.diff(app.deploymentId, app, edited)).replaces, []);
            const { outs } = await deployments.update(app.deploymentId, app, edited);
            assert.equal(outs!.deploymentId, app.deploymentId);
            assert.ok(file(`${app.appDir}/public/index.html`), "the new source is uploaded");
            assert.equal(sandbox.running.size, 1);
        });

        it("fails with the app's log when it exits before it is healthy, and leaves nothing running", async function () {
            apps.once("GET", /^\/health$/, () => json(503, {}));
            e2b.onCommand(/^exec sh -c/, (c) => {
                sandbox.files.set(c.envs.FLOW_NEXUS_LOG, Buffer.from("Error: listen EADDRINUSE :::8080\n"));
                return {};
            });
            e2b.onCommand(/^kill -0 /, () => ({ exitCode: 1 }));
            try {
                const err = await rejection(() => deploy());
                assert.match(err.message, /the app \(node server\.js\) exited before it was ready; GET https:\/\/8080-sbx\d+\.e2b\.test\/health last answered HTTP 503/);
                assert.match(err.message, /EADDRINUSE/);
                assert.equal([...sandbox.files.keys()].filter((f) => f.includes("/apps/")).length, 0, "the app's files are removed");
            } finally {
                e2b.onCommand(/^exec sh -c/, () => ({})).onCommand(/^kill -0 /, (c) => ({ exitCode: e2b.sandboxes.get(c.sandboxId)!.running.has(Number(c.script.split(" ")[2])) ? 0 : 1 }));
            }
        });

        it("an install command the sandbox does not have fails the create with bash's exit code and words, and leaves nothing", async function () {
            const err = await rejection(() => deploy({ installCommand: "pnpm install --prod" }));
            assert.match(err.message, /the install command of deployment dep-\w+ \(pnpm install --prod\) exited with code 127; the last lines of its output:\n.*pnpm: command not found/);
            assert.equal([...sandbox.files.keys()].filter((f) => f.includes("/apps/")).length, 0, "the app's files are removed");
            assert.equal(sandbox.running.size, 0);
        });

        it("read: healthy, unhealthy (with an empty source hash, so up redeploys), and gone with its sandbox", async function () {
            const app = await deploy();
            assert.equal((await deployments.read(app.deploymentId, app)).props!.status, "healthy");
            apps.once("GET", /^\/health$/, () => json(500, {})).once("GET", /^\/health$/, () => json(500, {}));
            const sick = (await deployments.read(app.deploymentId, app)).props!;
            assert.equal(sick.status, "unhealthy");
            assert.equal(sick.sourceHash, "");
            e2b.sandboxes.delete(sandbox.sandboxID);
            assert.deepEqual(await deployments.read(app.deploymentId, app), {});
        });

        it("deletes: stops the app and removes its files; a paused sandbox is paused again; a gone one is success", async function () {
            const app = await deploy();
            sandbox.state = "paused";
            await deployments.delete(app.deploymentId, app);
            assert.equal(sandbox.running.size, 0);
            assert.equal(file(`${app.appDir}/server.js`), undefined);
            assert.equal(sandbox.state, "paused");
            e2b.sandboxes.delete(sandbox.sandboxID);
            await deployments.delete(app.deploymentId, app);
        });

        it("maps a refused API key (401) and a sandbox that is gone (404) to what to do", async function () {
            e2b.http.once("GET", /^\/sandboxes\/sbx\d+$/, () => json(401, { code: 401, message: "Invalid API key" }));
            const refused = await rejection(() => deploy());
            assert.match(refused.message, /reading E2B sandbox sbx\d+ failed: E2B refused the credentials .*flow-nexus:e2bApiKey/);
            e2b.sandboxes.delete(sandbox.sandboxID);
            assert.match((await rejection(() => deploy())).message, /sandbox sbx\d+ is gone \(expired, killed or deleted\); run `pulumi refresh`/);
        });

        it("refuses a paused sandbox with what to do, and maps a rate limit on connect", async function () {
            sandbox.state = "paused";
            assert.match((await rejection(() => deploy())).message, /sandbox sbx\d+ is paused; change its timeoutSeconds to resume it/);
            sandbox.state = "running";
            e2b.http.once("POST", /\/connect$/, () => json(429, { code: 429, message: "too many requests" }));
            assert.match((await rejection(() => deploy())).message, /connecting to E2B sandbox sbx\d+ failed: E2B is rate-limiting this account/);
        });
    });

    describe("Monitor", function () {
        it("uploads its watchdog and config into the sandbox and runs it there in the background", async function () {
            const monitor = (await monitors.create(await monitorInputs())).outs!;
            const dir = `/home/user/.flow-nexus/monitors/${monitor.monitorId}`;
            assert.match(file(`${dir}/watchdog.js`)!, /function judge\(result, latencyMs\)/);
            const config = JSON.parse(file(`${dir}/config.json`)!);
            assert.equal(config.sandboxId, sandbox.sandboxID);
            assert.equal(config.intervalSeconds, 10);
            const start = e2b.commands.find((c) => c.script.startsWith("exec node watchdog.js"))!;
            assert.equal(start.cwd, dir);
            assert.equal(monitor.status, "active");
            assert.equal(monitor.watchdogPid, start.pid);
        });

        it("update rewrites the config and wakes the running watchdog instead of starting another", async function () {
            const monitor = (await monitors.create(await monitorInputs())).outs!;
            const { outs } = await monitors.update(monitor.monitorId, monitor, await monitorInputs({ intervalSeconds: 30, tags: monitor.tags }));
            assert.equal(outs!.watchdogPid, monitor.watchdogPid);
            assert.ok(e2b.commands.some((c) => c.script === `kill -HUP ${monitor.watchdogPid}`));
            assert.equal(JSON.parse(file(`/home/user/.flow-nexus/monitors/${monitor.monitorId}/config.json`)!).intervalSeconds, 30);
        });

        it("read: active, stopped when its watchdog died (so up restarts it), gone with its config or sandbox", async function () {
            const monitor = (await monitors.create(await monitorInputs())).outs!;
            assert.equal((await monitors.read(monitor.monitorId, monitor)).props!.status, "active");
            sandbox.running.delete(monitor.watchdogPid);
            const stopped = (await monitors.read(monitor.monitorId, monitor)).props!;
            assert.deepEqual([stopped.status, stopped.watchdogPid, stopped.configHash], ["stopped", 0, ""]);
            await monitors.delete(monitor.monitorId, monitor);
            assert.deepEqual(await monitors.read(monitor.monitorId, monitor), {});
            e2b.sandboxes.delete(sandbox.sandboxID);
            assert.deepEqual(await monitors.read(monitor.monitorId, monitor), {});
            await monitors.delete(monitor.monitorId, monitor);
        });

        it("the watchdog script itself probes, records checks, alerts after the threshold and exits with its config (run here with node)", async function () {
            const dir = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-watchdog-"));
            const failing = http.createServer((_req, res) => res.writeHead(503).end()).listen(0, "127.0.0.1");
            await once(failing, "listening");
            const url = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/health`;
            const alertsFile = path.join(dir, "alerts-channel.jsonl");
            const config = { monitorId: "mon-local", sandboxId: "sbx-local", targets: [{ name: "app", url }], intervalSeconds: 1,
                thresholds: { consecutiveFailures: 2, latencyMs: 2000 }, alerts: [{ type: "file", path: alertsFile }], restartOnFailure: false };
            await fs.writeFile(path.join(dir, "watchdog.js"), sandboxWatchdogScript());
            await fs.writeFile(path.join(dir, "config.json"), JSON.stringify(config));
            const watchdog = spawn(process.execPath, [path.join(dir, "watchdog.js"), dir], { stdio: "ignore" });
            try {
                assert.ok(await waitUntil(async () => (await fs.readFile(alertsFile, "utf8").catch(() => "")).length > 0, 15_000, 100), "an alert was delivered");
                const alert = JSON.parse((await fs.readFile(alertsFile, "utf8")).split("\n")[0]);
                assert.equal(alert.message, "app failed 2 checks in a row (last: HTTP 503)");
                const checks = (await fs.readFile(path.join(dir, "checks.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
                assert.ok(checks.length >= 2 && checks.every((c) => c.ok === false && c.statusCode === 503));
                await fs.rm(path.join(dir, "config.json"));
                const [code] = await once(watchdog, "exit");
                assert.equal(code, 0);
            } finally {
                watchdog.kill();
                failing.close();
                await fs.rm(dir, { recursive: true, force: true });
            }
        });

        it("maps a rate limit on the upload (429) and a refused key (401); a new backend replaces it", async function () {
            e2b.http.once("POST", /^\/files$/, () => json(429, { code: 429, message: "rate limited" }));
            assert.match((await rejection(async () => monitors.create(await monitorInputs()))).message, /uploading 2 files to E2B sandbox sbx\d+ failed: E2B is rate-limiting this account/);
            e2b.http.once("GET", /^\/sandboxes\/sbx\d+$/, () => json(401, { code: 401, message: "Invalid API key" }));
            assert.match((await rejection(async () => monitors.create(await monitorInputs()))).message, /E2B refused the credentials .*flow-nexus:e2bApiKey/);
            const monitor = (await monitors.create(await monitorInputs())).outs!;
            assert.deepEqual((await monitors.diff(monitor.monitorId, monitor, { ...monitor, backend: { kind: "local", dataDir: "/tmp/x" } })).replaces, ["backend"]);
        });

        it("fails check when no target names the sandbox the watchdog would run in", async function () {
            const { failures } = await monitors.check({}, { targets: [{ name: "x", url: "https://example.test/health" }], backend: CLOUD, tags: tagsOf("Monitor", "nosbx") } as MonitorInputs);
            assert.deepEqual(failures!.map((f) => f.property), ["targets"]);
            assert.match(failures![0].reason, /one with a sandboxId on the cloud backend/);
        });
    });
});
