/**
 * Live acceptance: Sandbox, Deployment and Monitor on the real E2B, through
 * the providers as the engine drives them, and the CLI's cloud backend on
 * what they made (status, logs, the monitor's history). Runs only with E2B_API_KEY set
 * (E2B_TEMPLATE picks the template, default "base"); the audit log goes to
 * DATABASE_URL when set, else to a throwaway local Postgres.
 * Everything it creates is deleted at the end, whatever happened.
 */
import { strict as assert } from "assert";
import { promises as fs } from "fs";
import { cloudBackend } from "../../cli/backends/cloud";
import { Inputs as DeploymentInputs, Outputs as DeploymentOutputs, provider as deploymentProvider } from "../../providers/deployment/resource";
import { Inputs as MonitorInputs, Outputs as MonitorOutputs, provider as monitorProvider } from "../../providers/monitor/resource";
import { Inputs as SandboxInputs, Outputs as SandboxOutputs, provider as sandboxProvider } from "../../providers/sandbox/resource";
import { checked, CLOUD, cloudDatabase, engine, stackConfig, tagsOf } from "../contract/support";
import { rejection, tempDataDir } from "../support";
import { forgetCredentials, requireEnv, uniqueName } from "./support";

describe("live: E2B", function () {
    this.timeout(10 * 60_000);
    const sandboxes = engine<SandboxInputs, SandboxOutputs>(sandboxProvider);
    const deployments = engine<DeploymentInputs, DeploymentOutputs>(deploymentProvider);
    const monitors = engine<MonitorInputs, MonitorOutputs>(monitorProvider);
    let db: Awaited<ReturnType<typeof cloudDatabase>> | undefined;
    let sandbox: SandboxOutputs | undefined;
    let app: DeploymentOutputs | undefined;
    let monitor: MonitorOutputs | undefined;
    const run = uniqueName("live");

    before(async function () {
        const env = requireEnv(this, "E2B", ["E2B_API_KEY"]);
        if (!process.env.DATABASE_URL) db = await cloudDatabase();
        await sandboxes.configure(stackConfig({ e2bApiKey: env.E2B_API_KEY, databaseUrl: process.env.DATABASE_URL ?? db!.url }));
    });

    after(async function () {
        // Whatever failed, nothing keeps running (or billing).
        if (monitor) await monitors.delete(monitor.monitorId, monitor).catch((err) => console.log(`cleanup: ${err.message}`));
        if (app) await deployments.delete(app.deploymentId, app).catch((err) => console.log(`cleanup: ${err.message}`));
        if (sandbox) await sandboxes.delete(sandbox.sandboxId, sandbox).catch((err) => console.log(`cleanup: ${err.message}`));
        forgetCredentials();
        await db?.stop();
    });

    it("creates a sandbox tagged with the stack and URN, reads it, and changes its timeout in place", async function () {
        const inputs = await checked(sandboxes, {
            template: (process.env.E2B_TEMPLATE ?? "base") as SandboxInputs["template"],
            timeoutSeconds: 300,
            envs: {},
            links: [],
            metadata: { purpose: "flow-nexus live test" },
            onTimeout: "kill",
            ports: 1,
            backend: CLOUD,
            tags: tagsOf("Sandbox", run),
        } as SandboxInputs);
        sandbox = (await sandboxes.create(inputs)).outs!;
        assert.equal(sandbox.status, "running");
        assert.deepEqual(sandbox.metadata, { purpose: "flow-nexus live test" });
        assert.equal((await sandboxes.read(sandbox.sandboxId, sandbox)).props!.status, "running");
        const longer = (await sandboxes.update(sandbox.sandboxId, sandbox, { ...inputs, timeoutSeconds: 600 })).outs!;
        assert.ok(Date.parse(longer.endAt) > Date.parse(sandbox.endAt));
        sandbox = longer;
        // A second create of the same resource adopts it.
        assert.equal((await sandboxes.create(inputs)).id, sandbox.sandboxId);
    });

    it("deploys the node-http template and finds it healthy through the sandbox's public host", async function () {
        const inputs = await checked(deployments, {
            sandboxId: sandbox!.sandboxId,
            source: { template: "node-http" },
            port: sandbox!.allocatedPorts[0],
            healthPath: "/health",
            healthTimeoutSeconds: 120,
            backend: CLOUD,
            tags: tagsOf("Deployment", run),
        } as DeploymentInputs);
        app = (await deployments.create(inputs)).outs!;
        assert.equal(app.status, "healthy");
        assert.equal((await fetch(app.healthUrl)).status, 200);
        assert.equal((await deployments.read(app.deploymentId, app)).props!.status, "healthy");
    });

    it("runs a monitor's watchdog inside the sandbox", async function () {
        const inputs = await checked(monitors, {
            targets: [{ name: "app", url: app!.healthUrl, deploymentId: app!.deploymentId, sandboxId: sandbox!.sandboxId }],
            intervalSeconds: 5,
            backend: CLOUD,
            tags: tagsOf("Monitor", run),
        } as MonitorInputs);
        monitor = (await monitors.create(inputs)).outs!;
        assert.equal(monitor.status, "active");
        assert.equal((await monitors.read(monitor.monitorId, monitor)).props!.status, "active");

        // The CLI's cloud backend on what this suite made: status, logs and the dashboard's history.
        const outputs = {
            sandboxId: sandbox!.sandboxId,
            deploymentId: app!.deploymentId,
            app: { url: app!.url, healthUrl: app!.healthUrl },
            monitoring: { monitorId: monitor.monitorId, intervalSeconds: 5 },
        };
        const config = { "flow-nexus:e2bApiKey": { value: process.env.E2B_API_KEY }, "flow-nexus:databaseUrl": { value: process.env.DATABASE_URL ?? db!.url } };
        const cli = cloudBackend(await tempDataDir(), "live", async () => config);
        const health = Object.fromEntries((await cli.health(outputs)).map((c) => [c.service, c]));
        console.log(`flow-nexus status on the live sandbox: ${JSON.stringify(Object.values(health).map((c) => [c.service, c.health, c.detail]))}`);
        for (const service of ["sandbox", "app", "monitor"]) assert.equal(health[service].health, "up", `${service}: ${health[service].detail}`);
        const [appLog, watchdogLog] = await cli.logSources(outputs);
        await appLog.refresh!();
        assert.match(await fs.readFile(appLog.file, "utf8"), /\S/, "the app's log, copied out of the sandbox");
        assert.equal(watchdogLog.name, "watchdog");
        await new Promise((resolve) => setTimeout(resolve, 6000));
        assert.ok((await cli.monitorHistory(outputs, new Date(Date.now() - 3600_000))).checks.length >= 1, "the watchdog's checks, read from the sandbox");

        await monitors.delete(monitor.monitorId, monitor);
        monitor = undefined;
    });

    it("a timeout above what the plan allows is refused with the plan's limit and the input to change, and creates nothing", async function () {
        // 25 h is above every plan (Hobby 1 h, Pro 24 h), so E2B refuses it whatever this key's plan is.
        const inputs = await checked(sandboxes, { template: "base", backend: CLOUD, tags: tagsOf("Sandbox", `${run}-long`) } as SandboxInputs);
        const err = await rejection(() => sandboxes.create({ ...inputs, timeoutSeconds: 25 * 3600 }));
        console.log(`E2B's answer to a 25 h timeout, as flow-nexus says it: ${err.message}`);
        assert.match(err.message, /timeoutSeconds \(flow-nexus:sandbox\.timeoutSeconds\) is 90000, above what this E2B account's plan allows, \d+ h/);
    });

    it("deletes the app and the sandbox; read then finds it gone, and deleting again succeeds", async function () {
        await deployments.delete(app!.deploymentId, app!);
        app = undefined;
        const gone = sandbox!;
        await sandboxes.delete(gone.sandboxId, gone);
        sandbox = undefined;
        assert.deepEqual(await sandboxes.read(gone.sandboxId, gone), {});
        await sandboxes.delete(gone.sandboxId, gone);
    });
});
