/**
 * Monitor on the local backend: a real watchdog process probing a real
 * deployed app, restarting it, and POSTing alerts to a real webhook
 * receiver; checks and alerts in the real Postgres.
 */
import { strict as assert } from "assert";
import { existsSync, readdirSync, readFileSync } from "fs";
import { promises as fs } from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { readDeployment } from "../../providers/deployment/record";
import { Outputs as DeploymentOutputs, provider as deploymentProvider } from "../../providers/deployment/resource";
import { monitorDir, readAlerts, readChecks } from "../../providers/monitor/local";
import { AlertPayload } from "../../providers/monitor/local";
import { Inputs, Outputs, provider } from "../../providers/monitor/resource";
import { removePostgres } from "../../providers/runtime/postgres-server";
import { groupMembers, isAlive, processRef, ProcessRef, signalGroup, signalPids, waitUntil } from "../../providers/runtime/process";
import { taskHost } from "../../providers/runtime/task-host";
import { Outputs as SandboxOutputs, provider as sandboxProvider } from "../../providers/sandbox/resource";
import { asEngine, tempDataDir, testTags } from "../support";

const monitors = asEngine(provider);
const deployments = asEngine(deploymentProvider);
const sandboxes = asEngine(sandboxProvider);

/** Running processes whose command line mentions `text` (the stack's watchdog process names the stack's data folder). */
function processesMentioning(text: string): number[] {
    return readdirSync("/proc")
        .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
        .filter((pid) => {
            try {
                return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text) && processRef(Number(pid)) !== undefined;
            } catch {
                return false;
            }
        })
        .map(Number);
}

function healthStatus(url: string): Promise<number | undefined> {
    return new Promise((resolve) => {
        http.get(url, { agent: false }, (res) => {
            res.resume();
            resolve(res.statusCode);
        }).on("error", () => resolve(undefined));
    });
}

/** A free loopback port nobody listens on. */
async function closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
}

describe("providers: Monitor (local)", function () {
    this.timeout(120_000);
    let dataDir: string;
    /** The stack's watchdog processes. */
    const watchdogProcesses = () => processesMentioning(dataDir).filter((pid) => /watchdog\.[jt]s/.test(readFileSync(`/proc/${pid}/cmdline`, "utf8")));
    let sandbox: SandboxOutputs;
    let app: DeploymentOutputs;
    let receiver: http.Server;
    let webhook: string;
    const received: AlertPayload[] = [];
    const alertFile = () => path.join(dataDir, "alerts.jsonl");
    const live: Outputs[] = [];

    async function inputs(overrides: Partial<Inputs> = {}): Promise<Inputs> {
        const news = {
            targets: [{ name: "app", url: app.healthUrl, deploymentId: app.deploymentId, sandboxId: sandbox.sandboxId }],
            intervalSeconds: 1,
            thresholds: { consecutiveFailures: 2 },
            alerts: [{ type: "webhook", url: webhook }, { type: "file", path: alertFile() }],
            backend: { kind: "local", dataDir },
            tags: testTags("Monitor", `monitor-${live.length}`),
            ...overrides,
        };
        const { inputs, failures } = await monitors.check({}, news);
        assert.deepEqual(failures, []);
        return inputs;
    }

    async function watchdogOf(monitor: Outputs): Promise<ProcessRef> {
        return processRef(monitor.watchdogPid)!;
    }

    before(async function () {
        dataDir = await tempDataDir();
        receiver = http.createServer((req, res) => {
            let body = "";
            req.on("data", (chunk) => (body += chunk));
            req.on("end", () => {
                if (req.method === "POST") received.push(JSON.parse(body));
                res.end("thanks");
            });
        });
        await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
        webhook = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}/alerts`;

        const sandboxInputs = (await sandboxes.check({}, { template: "node", ports: 1, backend: { kind: "local", dataDir }, tags: testTags("Sandbox", "ops") })).inputs;
        sandbox = (await sandboxes.create(sandboxInputs)).outs;
        const deploymentInputs = (
            await deployments.check({}, {
                sandboxId: sandbox.sandboxId,
                source: { template: "node-http" },
                port: sandbox.allocatedPorts[0],
                healthPath: "/health",
                backend: { kind: "local", dataDir },
                tags: testTags("Deployment", "app"),
            })
        ).inputs;
        app = (await deployments.create(deploymentInputs)).outs;
    });

    after(async function () {
        for (const monitor of live) await monitors.delete(monitor.monitorId, monitor);
        if (app) await deployments.delete(app.deploymentId, app);
        if (sandbox) await sandboxes.delete(sandbox.sandboxId, sandbox);
        await removePostgres(dataDir);
        await new Promise((resolve) => receiver.close(resolve));
        await fs.rm(dataDir, { recursive: true, force: true });
    });

    it("create starts a watchdog that checks the target every interval and records each check", async function () {
        const { id, outs } = await monitors.create(await inputs());
        live.push(outs);
        assert.match(id, /^mon-[0-9a-f]{12}$/);
        assert.equal(outs.monitorId, id);
        assert.equal(outs.status, "active");
        assert.deepEqual(outs.thresholds, { consecutiveFailures: 2, latencyMs: 2000 });
        assert.equal(outs.restartOnFailure, true);
        assert.ok(await watchdogOf(outs), "the watchdog runs");
        assert.deepEqual(watchdogProcesses(), [outs.watchdogPid], "one watchdog process for the stack");
        assert.equal(taskHost(dataDir, "watchdog", id)?.pid, outs.watchdogPid, "and it watches this monitor");

        assert.ok(await waitUntil(async () => (await readChecks(dataDir, id)).length >= 3, 15_000, 200), "three checks within a few intervals");
        const checks = await readChecks(dataDir, id);
        assert.ok(checks.every((c) => c.target === "app" && c.ok && c.statusCode === 200 && c.error === null));
        assert.ok(checks.every((c) => c.latencyMs >= 0 && c.latencyMs < 2000));
        assert.deepEqual((await monitors.read(id, outs)).props, outs);
    });

    it("restarts an app killed by hand within about two intervals and POSTs an alert to the webhook", async function () {
        const monitor = live[0];
        const before = (await readDeployment(app.appDir))!.process!;
        signalGroup(before, "SIGKILL");
        const killedAt = Date.now();
        assert.ok(await waitUntil(() => groupMembers(before).length === 0, 5000));

        // Two failed checks at one-second intervals, then a restart: allow generous slack, but bounded.
        const restarted = await waitUntil(
            async () => {
                const now = (await readDeployment(app.appDir))!.process!;
                return now.pid !== before.pid && (await healthStatus(app.healthUrl)) === 200;
            },
            20_000,
            100,
        );
        assert.ok(restarted, "the watchdog restarted the app");
        const tookMs = Date.now() - killedAt;
        assert.ok(tookMs < 10_000, `restarted after ${tookMs} ms`);

        assert.ok(await waitUntil(() => received.length > 0, 10_000, 100), "the webhook got an alert");
        const alert = received[0];
        assert.deepEqual(
            { ...alert, at: undefined, message: undefined },
            { monitorId: monitor.monitorId, target: "app", url: app.healthUrl, failures: 2, restarted: true, at: undefined, message: undefined },
        );
        assert.match(alert.message, new RegExp(`^app failed 2 checks in a row \\(last: .*ECONNREFUSED.*\\); restarted deployment ${app.deploymentId}, healthy again$`));
        assert.ok(Math.abs(Date.parse(alert.at) - Date.now()) < 60_000);

        const alerts = await waitUntilValue(() => readAlerts(dataDir, monitor.monitorId), (a) => a.length > 0);
        assert.equal(alerts[0].restarted, true);
        assert.deepEqual(alerts[0].deliveries, [
            { url: webhook, ok: true, statusCode: 200 },
            { url: `file://${alertFile()}`, ok: true },
        ]);
        assert.deepEqual(alerts[0].payload, alert);
        const lines = (await fs.readFile(alertFile(), "utf8")).trim().split("\n");
        assert.deepEqual(JSON.parse(lines[0]), alert, "the file channel got the same alert, as one JSON line");

        const failed = (await readChecks(dataDir, monitor.monitorId)).filter((c) => !c.ok);
        assert.ok(failed.length >= 2);
        assert.ok(failed.every((c) => c.statusCode === null && /ECONNREFUSED/.test(c.error!)));
        assert.ok(isAlive(await watchdogOf(monitor)), "the watchdog keeps running");
    });

    it("updates in place: the same watchdog takes the new configuration; a failed webhook post is recorded and does not stop it", async function () {
        const monitor = live[0];
        const deadWebhook = `http://127.0.0.1:${await closedPort()}/hook`;
        const down = `http://127.0.0.1:${await closedPort()}/health`;
        const news = { ...(await inputs({ tags: monitor.tags })), targets: [{ name: "down", url: down }], alerts: [{ type: "webhook" as const, url: deadWebhook }] };
        const { inputs: checked } = await monitors.check({}, news);
        const diff = await monitors.diff(monitor.monitorId, monitor, checked);
        assert.deepEqual([diff.changes, diff.replaces], [true, []]);
        const { outs } = await monitors.update(monitor.monitorId, monitor, checked);
        live[0] = outs;
        assert.equal(outs.monitorId, monitor.monitorId);
        assert.equal(outs.watchdogPid, monitor.watchdogPid, "the same watchdog re-reads its configuration");

        const alerts = await waitUntilValue(() => readAlerts(dataDir, monitor.monitorId), (a) => a.some((x) => x.target === "down"));
        const alert = alerts.find((a) => a.target === "down")!;
        assert.equal(alert.restarted, false);
        assert.match(alert.message, /^down failed 2 checks in a row \(last: .*ECONNREFUSED.*\)$/);
        assert.equal(alert.deliveries.length, 1);
        assert.equal(alert.deliveries[0].ok, false);
        assert.match(alert.deliveries[0].error!, /ECONNREFUSED/);

        // The count starts again after an alert: about one alert per two failed checks, not one per check.
        await new Promise((resolve) => setTimeout(resolve, 4000));
        const failedChecks = (await readChecks(dataDir, monitor.monitorId)).filter((c) => c.target === "down").length;
        const downAlerts = (await readAlerts(dataDir, monitor.monitorId)).filter((a) => a.target === "down").length;
        assert.ok(downAlerts <= Math.ceil(failedChecks / 2), `${downAlerts} alerts for ${failedChecks} failed checks`);
        assert.ok(isAlive(await watchdogOf(outs)), "the watchdog survived the failed posts");
    });

    it("read reports a killed watchdog stopped with an empty configHash; the next update starts a new one", async function () {
        const monitor = live[0];
        const watchdog = await watchdogOf(monitor);
        signalPids([watchdog.pid], "SIGKILL");
        assert.ok(await waitUntil(() => !isAlive(watchdog), 5000));

        const drifted = (await monitors.read(monitor.monitorId, monitor)).props as Outputs;
        assert.deepEqual([drifted.status, drifted.configHash, drifted.watchdogPid], ["stopped", "", 0]);
        const { inputs: same } = await monitors.check({}, { ...(await inputs({ tags: monitor.tags })) });
        const diff = await monitors.diff(monitor.monitorId, drifted, same);
        assert.deepEqual([diff.changes, diff.replaces], [true, []]);

        const { outs } = await monitors.update(monitor.monitorId, drifted, same);
        live[0] = outs;
        assert.equal(outs.status, "active");
        assert.notEqual(outs.watchdogPid, watchdog.pid);
        assert.deepEqual(watchdogProcesses(), [outs.watchdogPid]);
        assert.equal(taskHost(dataDir, "watchdog", monitor.monitorId)?.pid, outs.watchdogPid);
    });

    it("delete stops the watchdog and removes its rows and folder; deleting again succeeds", async function () {
        const monitor = live.pop()!;
        const watchdog = await watchdogOf(monitor);
        await monitors.delete(monitor.monitorId, monitor);
        assert.equal(taskHost(dataDir, "watchdog", monitor.monitorId), undefined, "no longer watched");
        assert.ok(await waitUntil(() => !isAlive(watchdog), 5000), "the stack's watchdog process ends with its last monitor");
        assert.deepEqual(processesMentioning(monitor.monitorId), []);
        assert.deepEqual(await readChecks(dataDir, monitor.monitorId), []);
        assert.deepEqual(await readAlerts(dataDir, monitor.monitorId), []);
        assert.equal(existsSync(monitorDir(dataDir, monitor.monitorId)), false);
        assert.deepEqual((await monitors.read(monitor.monitorId, monitor)).props, undefined);
        await monitors.delete(monitor.monitorId, monitor);
    });
});

/** Polls `read` until `done` holds of its value (bounded), and returns the value. */
async function waitUntilValue<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
    let value = await read();
    await waitUntil(async () => done((value = await read())), timeoutMs, 200);
    assert.ok(done(value), "the condition did not hold in time");
    return value;
}
