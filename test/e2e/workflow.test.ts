/**
 * The whole platform (phases 1 to 5) from the project's own program on the
 * real engine, with the policy pack: what a user sees from `npm run up` to
 * `npm run destroy`, and the day-2 events in between.
 */
import { strict as assert } from "assert";
import { promises as fs } from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { Client } from "pg";
import { balance, debit } from "../../providers/billing/ledger";
import { history } from "../../providers/billing/statements";
import { runRefill } from "../../providers/billing/refill";
import { readDeployment } from "../../providers/deployment/record";
import { isListening } from "../../providers/runtime/ports";
import { isAlive, processesWithEnv, processRef, waitUntil } from "../../providers/runtime/process";
import { readSandbox } from "../../providers/sandbox/record";
import { exists } from "../support";
import { PROJECT_DIR, TestStack } from "./harness";

const POLICIES = path.join(PROJECT_DIR, "policies");
const DEV_POLICY_CONFIG = path.join(POLICIES, "config", "dev.json");
const FIXTURE_APP = path.join(__dirname, "fixtures", "switchable-app");

async function get(url: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        http.get(url, (res) => {
            let body = "";
            res.on("data", (chunk) => (body += chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        }).on("error", reject);
    });
}

describe("workflow: the whole platform on the real engine, with the policy pack", function () {
    let stack: TestStack;
    let dataDir: string;
    let appDir: string;
    let outputs: Record<string, any>;
    let receiver: http.Server;
    const alerts: Array<Record<string, unknown>> = [];

    const withPack = ["--policy-pack", POLICIES, "--policy-pack-config", DEV_POLICY_CONFIG];

    before(async function () {
        receiver = http.createServer((req, res) => {
            let body = "";
            req.on("data", (chunk) => (body += chunk));
            req.on("end", () => {
                alerts.push(JSON.parse(body));
                res.end();
            });
        });
        await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
        const webhook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;

        // The app is a copy of the fixture that the test edits: a source change.
        appDir = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-app-"));
        await fs.cp(FIXTURE_APP, appDir, { recursive: true });

        stack = await TestStack.create(PROJECT_DIR, {
            secrets: { "flow-nexus:password": "e2e-password-for-tests" },
            config: {
                "flow-nexus:app.directory": appDir,
                "flow-nexus:monitoring.intervalSeconds": "1",
                "flow-nexus:monitoring.consecutiveFailures": "2",
                "flow-nexus:monitoring.alerts[0].type": "webhook",
                "flow-nexus:monitoring.alerts[0].url": webhook,
                "flow-nexus:billing.monthlyLimitUsd": "10",
            },
        });
        dataDir = path.join(PROJECT_DIR, ".flow-nexus", "stacks", stack.name);
    });
    after(async function () {
        await stack?.dispose();
        await new Promise((resolve) => receiver.close(resolve));
        await fs.rm(appDir, { recursive: true, force: true });
    });

    it("up with the policy pack brings up every phase: the app answers, every memory key is set", async function () {
        const { output } = await stack.up(...withPack);
        assert.match(output, /flow-nexus@v0\.1\.0/, "the pack ran");
        outputs = await stack.outputs();
        assert.equal((await get(outputs.app.healthUrl)).status, 200);
        assert.equal((await get(outputs.app.url)).body, "version 1");
        for (const phase of [1, 2, 3, 4, 5]) assert.equal(outputs[`phase${phase}Complete`], true, `phase ${phase}`);
        assert.equal(outputs.workflowComplete, true);
        assert.equal(outputs.balance.credits, 100);
        assert.equal(outputs.monitoring.status, "active");
        const keys = [
            "user-id", "user-profile", "config", "sandbox-id", "subscription-id", "init-script", "schema", "deployment-id", "app",
            "monitoring", "monitoring-config", "balance", "phase1-complete", "phase2-complete", "phase3-complete", "phase4-complete",
            "phase5-complete", "workflow-complete",
        ];
        for (const key of keys) assert.notEqual(outputs.memory[`flow-nexus/${key}`], undefined, `flow-nexus/${key}`);
        assert.equal(outputs.memory["flow-nexus/deployment-id"], outputs.deploymentId);
    });

    it("the app is linked to the platform: FLOW_NEXUS_RESOURCES names its services, DATABASE_URL reaches its schema only", async function () {
        const [deployment] = await stack.resources("Deployment");
        const { pid } = (await readDeployment(deployment.outputs.appDir))!.process!;
        const environ = (await fs.readFile(`/proc/${pid}/environ`, "utf8")).split("\0").filter(Boolean);
        const env = Object.fromEntries(environ.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
        const resources = JSON.parse(env.FLOW_NEXUS_RESOURCES) as Record<string, { type: string }>;
        assert.deepEqual(Object.values(resources).map((r) => r.type).sort(), ["DatabaseSchema", "PlatformUser", "RealtimeSubscription", "StorageBucket"]);
        const client = new Client({ connectionString: env.DATABASE_URL });
        await client.connect();
        try {
            assert.deepEqual((await client.query("select count(*)::int as n from messages")).rows, [{ n: 0 }], "its schema is its search path");
            await assert.rejects(client.query("select * from flow_nexus.users"), /permission denied/);
        } finally {
            await client.end();
        }
        assert.ok(!JSON.stringify(await stack.exportState()).includes(new URL(env.DATABASE_URL).password), "the role's password is nowhere in the state");
    });

    it("a second up reports no changes", async function () {
        await stack.up("--expect-no-changes");
    });

    it("a change to the app's source redeploys it in place: same sandbox, new hash, new content", async function () {
        const server = path.join(appDir, "server.js");
        await fs.writeFile(server, (await fs.readFile(server, "utf8")).replace('"version 1"', '"version 2"'));
        const { output } = await stack.preview();
        assert.match(output, /~\s*pulumi-nodejs:dynamic\/flownexus:Deployment: \(update\)/);
        await stack.up();
        const after = await stack.outputs();
        assert.equal(after.sandboxId, outputs.sandboxId);
        assert.equal(after.deploymentId, outputs.deploymentId);
        assert.notEqual(after.app.sourceHash, outputs.app.sourceHash);
        assert.equal((await get(after.app.url)).body, "version 2");
        outputs = after;
    });

    it("a killed app is restarted by the watchdog within two intervals, and the webhook gets an alert", async function () {
        const [deployment] = await stack.resources("Deployment");
        const record = (await readDeployment(deployment.outputs.appDir))!;
        process.kill(-record.process!.pid, "SIGKILL");
        const killedAt = Date.now();
        const restarted = await waitUntil(async () => {
            const now = await readDeployment(deployment.outputs.appDir);
            return now?.process?.pid !== record.process!.pid && (await get(outputs.app.healthUrl).catch(() => ({ status: 0 }))).status === 200;
        }, 15_000, 100);
        assert.ok(restarted, "restarted");
        // Two failed checks one second apart, then the restart: two intervals, and the restart's own start-up.
        assert.ok(Date.now() - killedAt < 8_000, `restarted after ${Date.now() - killedAt} ms`);
        assert.ok(await waitUntil(() => alerts.length > 0, 10_000), "an alert reached the webhook");
        assert.equal(alerts[0].restarted, true);
        assert.equal(alerts[0].url, outputs.app.healthUrl);
    });

    it("an app whose health check fails after up fails the phase 3 gate", async function () {
        const [deployment] = await stack.resources("Deployment");
        const status = path.join(deployment.outputs.appDir, "health-status");
        await fs.writeFile(status, "500");
        try {
            assert.equal((await get(outputs.app.healthUrl)).status, 500);
            const result = await stack.tryRun(["up", "--stack", stack.name, "--non-interactive", "--yes", "--skip-preview", ...withPack]);
            assert.notEqual(result.code, 0);
            assert.match(result.output, /\[mandatory\]\s+phase-3-gate/);
            assert.match(result.output, new RegExp(`GET ${outputs.app.healthUrl.replace(/[.]/g, "\\.")} answered 500, not 200`));
        } finally {
            await fs.rm(status, { force: true });
        }
    });

    it("an advisory finding is printed and does not block", async function () {
        await stack.setConfig("flow-nexus:storage.public", "true");
        try {
            const { output } = await stack.preview(...withPack);
            assert.match(output, /\[advisory\]\s+no-public-bucket/);
            assert.match(output, /bucket platform-assets is public/);
        } finally {
            await stack.removeConfig("flow-nexus:storage.public");
        }
    });

    it("two concurrent refill runs below the threshold charge exactly once", async function () {
        const account = outputs.userId;
        await debit(dataDir, account, (await balance(dataDir, account)) - 10, "test:spend");
        const results = await Promise.all([runRefill(dataDir, account), runRefill(dataDir, account)]);
        assert.deepEqual(results.map((r) => r.charged).sort(), [false, true]);
        const payments = (await history(dataDir, account)).filter((h) => h.record === "payment");
        assert.equal(payments.length, 1);
        assert.equal(await balance(dataDir, account), 10 + 100);
    });

    it("a run past the monthly limit charges nothing and says why", async function () {
        const account = outputs.userId;
        await debit(dataDir, account, (await balance(dataDir, account)) - 5, "test:spend-again");
        const result = await runRefill(dataDir, account);
        assert.equal(result.charged, false);
        assert.match(result.reason, /monthly limit of \$10\.00/);
        assert.equal((await history(dataDir, account)).filter((h) => h.record === "payment").length, 1);
    });

    it("destroy keeps a ledger that records payments until billing.forceDestroy, then leaves no process, listening port or data folder", async function () {
        const refused = await stack.tryRun(["destroy", "--stack", stack.name, "--non-interactive", "--yes", "--skip-preview"]);
        assert.notEqual(refused.code, 0);
        assert.match(refused.output, /the ledger of account \S+ holds 1 payment \(AutoRefill \S+, flow-nexus:billing\.forceDestroy\)/);
        assert.equal((await history(dataDir, outputs.userId)).filter((h) => h.record === "payment").length, 1, "the payment history is kept");
        await stack.setConfig("flow-nexus:billing.forceDestroy", "true");
        await stack.up();
        await stack.refresh();
        const sandbox = await readSandbox(dataDir, outputs.sandboxId);
        const postgres = JSON.parse(await fs.readFile(path.join(dataDir, "postgres", "instance.json"), "utf8"));
        const [monitor] = await stack.resources("Monitor");
        await stack.destroy();
        assert.equal(await exists(dataDir), false);
        assert.equal(isAlive(sandbox!.supervisor!), false);
        assert.deepEqual(processesWithEnv("FLOW_NEXUS_SANDBOX_ID", outputs.sandboxId), []);
        assert.equal(processRef(monitor.outputs.watchdogPid), undefined, "the watchdog is gone");
        for (const port of [...sandbox!.ports, postgres.port]) assert.equal(await isListening(port), false, `port ${port}`);
    });
});

describe("workflow: invalid phase 3-5 config fails at preview, naming the key", function () {
    let stack: TestStack;

    before(async function () {
        stack = await TestStack.create(PROJECT_DIR, { secrets: { "flow-nexus:password": "e2e-password-for-tests" } });
    });
    after(async function () {
        await stack?.dispose();
    });

    const cases: Array<[string, string, string, RegExp]> = [
        ["a negative refill threshold", "flow-nexus:billing.thresholdCredits", "-5", /flow-nexus:billing\.thresholdCredits must be a whole number from 0 to \d+ credits \(got -5\)/],
        ["a monthly limit below one refill", "flow-nexus:billing.monthlyLimitUsd", "5", /flow-nexus:billing\.monthlyLimitUsd must be at least one refill \(refillAmountUsd 10\) \(got 5\)/],
        ["a health path without a leading slash", "flow-nexus:app.healthPath", "health", /flow-nexus:app\.healthPath must start with a slash, e\.g\. \/health \(got "health"\)/],
        ["an unknown template", "flow-nexus:app.template", "rails", /flow-nexus:app\.template must be one of node-http, static-site, realtime-notes \(got "rails"\)/],
        ["a port out of range", "flow-nexus:app.port", "70000", /flow-nexus:app\.port must be a whole number from 1024 to 65535 \(got 70000\)/],
        ["an app directory that is not there", "flow-nexus:app.directory", "no/such/app", /flow-nexus:app\.directory must be an existing directory \(got "no\/such\/app", which is \S+\/no\/such\/app\)/],
    ];

    for (const [what, key, value, message] of cases) {
        it(`${what} (${key})`, async function () {
            await stack.setConfig(key, value);
            try {
                const preview = await stack.tryRun(["preview", "--stack", stack.name, "--non-interactive"]);
                assert.notEqual(preview.code, 0);
                assert.match(preview.output, message);
                const created = ((await stack.exportState()).deployment.resources ?? []).filter((r) => r.type !== "pulumi:pulumi:Stack");
                assert.deepEqual(created, []);
            } finally {
                await stack.removeConfig(key);
            }
        });
    }
});
