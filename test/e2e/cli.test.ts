/**
 * The `flow-nexus` CLI against the dev stack's program on the real engine:
 * the commands a user runs on day 2, run as a user runs them (a process,
 * its stdout, stderr and exit code), and the orphan a killed `pulumi up`
 * leaves behind, found and removed by `cleanup`.
 */
import { strict as assert } from "assert";
import { ChildProcess, execFileSync, spawn } from "child_process";
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import { leaseHolders } from "../../cli/cleanup/local";
import { renderedFrom } from "../../cli/docs/render";
import { balance, debit } from "../../providers/billing/ledger";
import { history } from "../../providers/billing/statements";
import { readDeployment } from "../../providers/deployment/record";
import { gatewayProcess } from "../../providers/runtime/gateway";
import { probe } from "../../providers/runtime/http";
import { isListening } from "../../providers/runtime/ports";
import { withDatabase } from "../../providers/runtime/postgres";
import { isAlive, processesWithEnv, processRef, waitUntil } from "../../providers/runtime/process";
import { SANDBOX_MARKER } from "../../providers/sandbox/processes";
import { readRecord, readSandbox } from "../../providers/sandbox/record";
import { exists } from "../support";
import { cliEnv, CliRun, PROJECT_DIR, runCli, TestStack } from "./harness";

/** Our own passphrase for the test stack, so the CLI (and a detached `pulumi up`) can open it too. */
const PASSPHRASE = "cli-e2e-passphrase";
const BIN = path.join(PROJECT_DIR, "cli", "bin.js");

type Run = CliRun;

/** The environment that points the CLI at a test stack's throwaway backend. */
const envOf = (stack: TestStack) => cliEnv(stack, PASSPHRASE);

describe("cli: flow-nexus against the dev stack on the real engine", function () {
    let stack: TestStack;
    let dataDir: string;
    let env: NodeJS.ProcessEnv;
    let outputs: Record<string, any>;
    let scratch: string;

    /** Runs `flow-nexus <args>` from a folder outside the project, as a user would. */
    const cli = (args: string[]) => runCli(args, env, scratch);

    /** The last line a failed command printed: one line, never a stack trace. */
    function oneLineError(run: Run): string {
        assert.doesNotMatch(run.stderr, /^\s+at /m, "no stack trace");
        assert.equal(run.stdout, "");
        return run.stderr.trim().split("\n").at(-1)!;
    }

    before(async function () {
        scratch = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-cli-"));
        stack = await TestStack.create(PROJECT_DIR, {
            secrets: { "flow-nexus:password": "e2e-password-for-tests" },
            // A watchdog that probes once an hour leaves a killed app dead long enough to see it.
            // The dev stack's app and table (Pulumi.dev.yaml), not the program's defaults.
            config: { "flow-nexus:monitoring.intervalSeconds": "3600", "flow-nexus:app.template": "realtime-notes", "flow-nexus:realtime.table": "notes" },
            env: { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE },
        });
        dataDir = path.join(PROJECT_DIR, ".flow-nexus", "stacks", stack.name);
        env = envOf(stack);
    });
    after(async function () {
        if (stack) {
            // Whatever a failed test left (a lock, a pending create, an orphan), so that dispose leaves nothing.
            await stack.tryRun(["cancel", "--yes", "--stack", stack.name]);
            await stack.tryRun(["refresh", "--stack", stack.name, "--non-interactive", "--yes", "--skip-preview", "--clear-pending-creates"]);
            await cli(["cleanup", "--stack", stack.name]);
            await stack.dispose();
        }
        await fs.rm(scratch, { recursive: true, force: true });
    });

    it("an unknown stack, a stack never deployed and a bad option: one line each, exit 3, 3 and 2", async function () {
        const unknown = await cli(["status", "--stack", "no-such-stack"]);
        assert.equal(unknown.code, 3);
        assert.match(oneLineError(unknown), /^flow-nexus: stack no-such-stack not found in file:\/\/\S+ \(list the stacks with: npm run pulumi -- stack ls\)$/);
        const never = await cli(["billing", "balance", "--stack", stack.name]);
        assert.equal(never.code, 3);
        assert.match(oneLineError(never), new RegExp(`^flow-nexus: stack ${stack.name} has no outputs: it was never deployed, or was destroyed`));
        const bad = await cli(["audit", "--stack", stack.name, "--since", "last tuesday"]);
        assert.equal(bad.code, 2);
        assert.match(oneLineError(bad), /^flow-nexus: --since must be an ISO date or time, or a duration such as 1h or 30m \(got "last tuesday"\)$/);
    });

    it("status --json after up: every service up, every phase healthy, exit 0", async function () {
        await stack.up();
        outputs = await stack.outputs();
        const run = await cli(["status", "--stack", stack.name, "--json"]);
        assert.equal(run.code, 0, run.stderr);
        const report = JSON.parse(run.stdout);
        assert.equal(report.healthy, true);
        assert.deepEqual(
            report.services.map((s: any) => `${s.service}:${s.health}`),
            ["database", "gateway", "auth", "sandbox", "storage", "schema", "realtime", "app", "monitor", "billing"].map((s) => `${s}:up`),
        );
        assert.match(report.services.find((s: any) => s.service === "realtime").detail, /app\.notes in the supabase_realtime publication; a change round trip in \d+ ms/);
        assert.deepEqual(report.phases.map((p: any) => [p.phase, p.recorded, p.live, p.healthy]), [1, 2, 3, 4, 5].map((n) => [n, true, "up", true]));
        assert.match(report.services.find((s: any) => s.service === "app").detail, new RegExp(`GET ${outputs.app.healthUrl}: 200 in \\d+ ms`));
        assert.match(run.stderr, /checking the services of stack/, "progress goes to stderr");
    });

    it("logs shows the app's log (the deployment's logFile) and the watchdog's, and --follow prints new lines", async function () {
        const [deployment] = await stack.resources("Deployment");
        const run = await cli(["logs", "--stack", stack.name, "--json"]);
        assert.equal(run.code, 0, run.stderr);
        const { logs } = JSON.parse(run.stdout);
        assert.deepEqual(logs.map((l: any) => [l.source, l.file]), [
            ["app", deployment.outputs.logFile],
            ["watchdog", path.join(dataDir, "monitors", outputs.monitoring.monitorId, "watchdog.log")],
            ["gateway", path.join(dataDir, "gateway", "gateway.log")],
        ]);
        assert.ok(logs[2].lines.some((l: string) => l.includes(`serving ${dataDir} on http://127.0.0.1:`)), logs[2].lines.join("\n"));
        assert.ok(logs[0].lines.some((l: string) => l.includes(`listening on ${outputs.app.url}`)), logs[0].lines.join("\n"));
        assert.ok(logs[1].lines.some((l: string) => l.includes(`watching monitor ${outputs.monitoring.monitorId}`)));

        const follow = spawn(process.execPath, [BIN, "logs", "app", "--follow", "--stack", stack.name], { cwd: scratch, env, stdio: ["ignore", "pipe", "pipe"] });
        let seen = "";
        follow.stdout.on("data", (c: Buffer) => (seen += c));
        const closed = new Promise<number | null>((resolve) => follow.on("close", resolve));
        try {
            assert.ok(await waitUntil(() => seen.includes("listening on"), 30_000), "the last lines first");
            await fs.appendFile(deployment.outputs.logFile, "a line written while following\n");
            assert.ok(await waitUntil(() => seen.includes("a line written while following"), 10_000), seen);
        } finally {
            follow.kill("SIGINT");
        }
        assert.equal(await closed, 0, "Ctrl-C ends --follow with exit 0");
    });

    it("audit filters by resource and time", async function () {
        const run = await cli(["audit", "--stack", stack.name, "--resource", "Sandbox", "--since", "1h", "--json"]);
        assert.equal(run.code, 0, run.stderr);
        const { entries } = JSON.parse(run.stdout);
        assert.ok(entries.length >= 1);
        assert.ok(entries.every((e: any) => e.type === "Sandbox"));
        assert.ok(entries.some((e: any) => e.action === "create" && e.urn.endsWith("::flow-nexus-services-sandbox")));
        const future = await cli(["audit", "--stack", stack.name, "--since", "2999-01-01", "--json"]);
        assert.deepEqual(JSON.parse(future.stdout).entries, []);
        const table = await cli(["audit", "--stack", stack.name, "--resource", "flow-nexus-services-storage"]);
        assert.match(table.stdout, /^TIME\s+ACTION\s+TYPE\s+RESOURCE\s+CHANGED$/m);
        assert.match(table.stdout, /\screate\s+StorageBucket\s+flow-nexus-services-storage\s/);
    });

    it("docs renders the five documents from the outputs, each ending with exactly the outputs it shows", async function () {
        const out = path.join(scratch, "docs");
        const run = await cli(["docs", "--stack", stack.name, "--out", out]);
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual((await fs.readdir(out)).sort(), ["ARCHITECTURE.md", "AUTHENTICATION.md", "BILLING.md", "DEPLOYMENT.md", "OPERATIONS.md"]);
        const read = (name: string) => fs.readFile(path.join(out, name), "utf8");
        const o = outputs;
        const expected: Record<string, Record<string, unknown>> = {
            "AUTHENTICATION.md": { userId: o.userId, userProfile: o.userProfile, platformSettings: o.platformSettings, phase1Complete: true },
            "ARCHITECTURE.md": { sandboxId: o.sandboxId, subscriptionId: o.subscriptionId, schema: o.schema, bucket: o.bucket, phase2Complete: true },
            "DEPLOYMENT.md": { deploymentId: o.deploymentId, app: o.app, sandboxId: o.sandboxId, phase3Complete: true },
            "OPERATIONS.md": { monitoring: o.monitoring, app: { healthUrl: o.app.healthUrl }, phase4Complete: true },
            "BILLING.md": { userId: o.userId, balance: o.balance, phase5Complete: true, workflowComplete: true },
        };
        for (const [name, values] of Object.entries(expected)) assert.deepEqual(renderedFrom(await read(name)), values, name);
        assert.match(await read("AUTHENTICATION.md"), new RegExp(`\\| user id \\(\`flow-nexus/user-id\`\\) \\| \`${o.userId}\` \\|`));
        assert.match(await read("ARCHITECTURE.md"), new RegExp(`\\| sandbox \\| local \\| Sandbox \\| \`${o.sandboxId}\``));
        assert.match(await read("DEPLOYMENT.md"), new RegExp(`\\| url \\| \`${o.app.url}\` \\|`));
        assert.match(await read("OPERATIONS.md"), new RegExp(`\\| monitor id \\| \`${o.monitoring.monitorId}\` \\|`));
        assert.match(await read("BILLING.md"), new RegExp(`\\| credits \\| \`${o.balance.credits}\` \\|`));
        assert.equal((await Promise.all(Object.keys(expected).map(read))).join("").includes("e2e-password-for-tests"), false);
    });

    it("billing refill twice in parallel below the threshold charges once", async function () {
        const account = outputs.userId;
        // The billed sandbox's supervisor meters and refills once a minute: paused, it cannot be the one that charges.
        const supervisor = (await readSandbox(dataDir, outputs.sandboxId))!.supervisor!;
        process.kill(supervisor.pid, "SIGSTOP");
        try {
            await debit(dataDir, account, (await balance(dataDir, account)) - 10, "test:spend");
            const runs = await Promise.all([0, 1].map(() => cli(["billing", "refill", "--stack", stack.name, "--json"])));
            for (const run of runs) assert.equal(run.code, 0, run.stderr);
            const results = runs.map((r) => JSON.parse(r.stdout));
            assert.deepEqual(results.map((r) => r.charged).sort(), [false, true]);
            assert.match(results.find((r) => !r.charged).reason, /at or above the threshold|already charged/);
            assert.equal((await history(dataDir, account)).filter((h) => h.record === "payment").length, 1);
            assert.equal(await balance(dataDir, account), 110);

            const shown = JSON.parse((await cli(["billing", "balance", "--stack", stack.name, "--json"])).stdout);
            assert.deepEqual([shown.credits, shown.spentUsdCents, shown.policy.thresholdCredits], [110, 1000, 50]);
            const lines = JSON.parse((await cli(["billing", "history", "--stack", stack.name, "--json"])).stdout).history;
            assert.equal(lines.filter((h: any) => h.record === "payment" && h.status === "succeeded").length, 1);
            const used = JSON.parse((await cli(["billing", "usage", "--stack", stack.name, "--json"])).stdout);
            assert.ok(used.debits.some((d: any) => d.reference === "test:spend"));
        } finally {
            process.kill(supervisor.pid, "SIGCONT");
        }
    });

    it("realtime tail --json prints the subscription's changes as they happen", async function () {
        const child = spawn(process.execPath, [BIN, "realtime", "tail", "--stack", stack.name, "--json"], { cwd: scratch, env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c));
        child.stderr.on("data", (c: Buffer) => (stderr += c));
        try {
            assert.ok(await waitUntil(() => stderr.includes("listening to app.notes"), 20_000), stderr);
            await withDatabase(dataDir, (c) => c.query("insert into app.notes (body) values ('tailed')"));
            assert.ok(await waitUntil(() => stdout.includes("tailed"), 5000), `stdout: ${stdout}\nstderr: ${stderr}`);
            const [event] = stdout.trim().split("\n").map((line) => JSON.parse(line));
            assert.deepEqual([event.type, event.table, event.new.body], ["INSERT", "app.notes", "tailed"]);
        } finally {
            // The row is the test's: the destroy below must find no data it would lose.
            await withDatabase(dataDir, (c) => c.query("delete from app.notes where body = 'tailed'"));
            child.kill("SIGINT");
            await new Promise((resolve) => child.once("close", resolve));
        }
    });

    it("a killed gateway: status reports it down, and the watchdog starts it again on its port", async function () {
        const before = (await gatewayProcess(dataDir))!;
        const [monitor] = await stack.resources("Monitor");
        // The watchdog paused while status looks, so that it cannot start the gateway again first.
        process.kill(monitor.outputs.watchdogPid, "SIGSTOP");
        try {
            process.kill(before.process.pid, "SIGKILL");
            const down = await cli(["status", "--stack", stack.name]);
            assert.match(down.stdout, /^gateway\s+-\s+DOWN\s+the gateway is not running/m, down.stdout);
            assert.match(down.stdout, /^realtime\s+2\s+DOWN\s+.*no round trip: the gateway is not running/m);
            assert.equal(down.code, 4);
        } finally {
            process.kill(monitor.outputs.watchdogPid, "SIGCONT");
        }
        assert.ok(await waitUntil(async () => (await gatewayProcess(dataDir)) !== undefined, 15_000), "the watchdog started it again");
        const after = (await gatewayProcess(dataDir))!;
        assert.notEqual(after.process.pid, before.process.pid);
        assert.equal(after.port, before.port, "on the port the app was given");
        const up = await cli(["status", "--stack", stack.name, "--json"]);
        assert.equal(up.code, 0, up.stdout);
    });

    it("after the app is killed, status shows it down and exits 4", async function () {
        const [deployment] = await stack.resources("Deployment");
        const record = (await readDeployment(deployment.outputs.appDir))!;
        process.kill(-record.process!.pid, "SIGKILL");
        assert.ok(await waitUntil(async () => (await probe(outputs.app.healthUrl, 1000)).statusCode === undefined, 10_000));
        const run = await cli(["status", "--stack", stack.name]);
        assert.equal(run.code, 4, run.stderr);
        assert.match(run.stdout, new RegExp(`^app\\s+3\\s+DOWN\\s+GET ${outputs.app.healthUrl}: no answer`, "m"));
        assert.match(run.stdout, /^3\s+deployment\s+passed\s+DOWN\s+NO$/m);
        assert.match(run.stdout, /^sandbox\s+2\s+up\s/m);
        assert.match(run.stdout, /NOT healthy/);
        const json = JSON.parse((await cli(["status", "--stack", stack.name, "--json"])).stdout);
        assert.equal(json.healthy, false);
    });

    it("cleanup finds the sandbox a killed `pulumi up` left behind, and removes it and its processes", async function () {
        // A new template replaces the sandbox: the up creates a second one first, and is killed doing so.
        await stack.setConfig("flow-nexus:sandbox.template", "python");
        const binDir = JSON.parse(execFileSync(process.execPath, [path.join(PROJECT_DIR, "engine", "bootstrap.mjs"), "--json"], { encoding: "utf8" })).binDir;
        const up: ChildProcess = spawn("pulumi", ["up", "--stack", stack.name, "--yes", "--skip-preview", "--non-interactive"], {
            cwd: PROJECT_DIR,
            env: { ...env, PATH: `${binDir}${path.delimiter}${env.PATH}`, PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true", PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
            // Its own process group, so the kill takes the engine, the language host and the provider together.
            detached: true,
            stdio: "ignore",
        });
        const exited = new Promise((resolve) => up.on("exit", resolve));
        let leftId: string | undefined;
        const created = await waitUntil(async () => {
            const ids = await fs.readdir(path.join(dataDir, "sandboxes")).catch(() => [] as string[]);
            for (const id of ids.filter((i) => i !== outputs.sandboxId)) {
                if (await readRecord(path.join(dataDir, "sandboxes", id)).catch(() => undefined)) leftId = id;
            }
            return leftId !== undefined;
        }, 120_000, 20);
        try {
            process.kill(-up.pid!, "SIGKILL");
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
        }
        await exited;
        assert.ok(created, "the new sandbox was being created");
        const leftDir = path.join(dataDir, "sandboxes", leftId!);

        // Killed mid-create: the state has a pending create and a stale lock; cleanup keeps what is pending and touches nothing locked.
        const pending = JSON.parse((await cli(["cleanup", "--stack", stack.name, "--dry-run", "--json"])).stdout);
        assert.deepEqual(pending.stacks[0].objects.map((o: any) => [o.kind, o.id, o.status]), [["sandbox", leftId, "pending"]]);
        const locked = await cli(["cleanup", "--stack", stack.name]);
        assert.equal(locked.code, 1);
        assert.match(locked.stdout, /locked by an update that is no longer running .*: run flow-nexus recover --stack \S+ \(it cancels/);
        assert.ok(await exists(leftDir));

        await stack.run(["cancel", "--yes", "--stack", stack.name]);
        await stack.refresh("--clear-pending-creates");

        const dry = await cli(["cleanup", "--stack", stack.name, "--dry-run", "--json"]);
        assert.equal(dry.code, 0, dry.stderr);
        const [listed, ...others] = JSON.parse(dry.stdout).stacks[0].objects;
        assert.deepEqual(others, [], "only the left-behind sandbox: the live one, its app, bucket and monitor are the stack's");
        assert.deepEqual([listed.kind, listed.id, listed.status, listed.action], ["sandbox", leftId, "orphan", "would remove"]);
        assert.match(listed.reason, new RegExp(`the stack's resource is now ${outputs.sandboxId}`));
        assert.ok(await exists(leftDir), "a dry run removes nothing");
        const table = await cli(["cleanup", "--stack", stack.name, "--dry-run"]);
        assert.match(table.stdout, new RegExp(`^${stack.name}\\s+sandbox\\s+${leftId}\\s+\\S+\\s+would remove\\s`, "m"));

        const pids: number[] = listed.pids;
        const removed = await cli(["cleanup", "--stack", stack.name, "--json"]);
        assert.equal(removed.code, 0, removed.stderr);
        assert.equal(JSON.parse(removed.stdout).stacks[0].objects[0].action, "removed");
        assert.equal(await exists(leftDir), false, "its folder is gone");
        assert.deepEqual(processesWithEnv(SANDBOX_MARKER, leftId!), []);
        for (const pid of pids) assert.equal(processRef(pid) === undefined || !isAlive(processRef(pid)!, leftId), true, `process ${pid}`);
        assert.equal((await readSandbox(dataDir, outputs.sandboxId))?.status, "running", "the stack's own sandbox still runs");
        const holders = await leaseHolders(dataDir);
        assert.equal(holders.some((h) => h.includes("#creating-") || h.endsWith(`#${leftId}`)), false, `no lease of the interrupted create is left: ${holders.join(", ")}`);
        const again = JSON.parse((await cli(["cleanup", "--stack", stack.name, "--dry-run", "--json"])).stdout);
        assert.deepEqual(again.stacks[0].objects, []);
    });

    it("destroy then leaves nothing behind: no data folder, no database", async function () {
        await stack.removeConfig("flow-nexus:sandbox.template");
        // The refills above are payments: the ledger goes with the stack only when asked to.
        await stack.setConfig("flow-nexus:billing.forceDestroy", "true");
        await stack.up();
        const gateway = (await gatewayProcess(dataDir))!;
        await stack.destroy();
        assert.equal(await exists(dataDir), false, `${dataDir} is removed`);
        assert.equal(isAlive(gateway.process), false, "the gateway is stopped");
        assert.equal(await isListening(gateway.port), false, `the gateway's port ${gateway.port} is free`);
        const gone = await cli(["status", "--stack", stack.name]);
        assert.equal(gone.code, 3);
    });
});

describe("cli: stacks prune on a throwaway backend", function () {
    let stack: TestStack;

    before(async function () {
        stack = await TestStack.create(PROJECT_DIR, { env: { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE } });
    });
    after(async function () {
        await stack?.dispose();
    });

    it("lists, then destroys and removes, the stacks with the prefix older than the age; keeps the others", async function () {
        const env = envOf(stack);
        const prune = (...flags: string[]) => runCli(["stacks", "prune", "--prefix", stack.name, ...flags, "--json"], env, os.tmpdir());
        const young = await prune("--older-than", "1h");
        assert.equal(young.code, 0, young.stderr);
        assert.deepEqual(JSON.parse(young.stdout).stacks, [{ stack: stack.name, action: "kept: updated recently" }]);

        await new Promise((resolve) => setTimeout(resolve, 1500));
        const dry = await prune("--older-than", "1s", "--dry-run");
        assert.deepEqual(JSON.parse(dry.stdout).stacks.map((s: any) => [s.stack, s.action]), [[stack.name, "would destroy"]]);
        assert.ok((await stack.run(["stack", "ls", "--json"])).stdout.includes(`"${stack.name}"`), "a dry run removes nothing");

        const run = await prune("--older-than", "1s");
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(JSON.parse(run.stdout).stacks.map((s: any) => [s.stack, s.action]), [[stack.name, "destroyed"]]);
        assert.equal((await stack.run(["stack", "ls", "--json"])).stdout.includes(`"${stack.name}"`), false, "the stack is removed");
        assert.equal(await exists(path.join(PROJECT_DIR, `Pulumi.${stack.name}.yaml`)), false, "and its config file");

        const none = await runCli(["stacks", "prune", "--older-than", "7d"], env, os.tmpdir());
        assert.equal(none.code, 2);
        assert.match(none.stderr, /^flow-nexus: flow-nexus stacks prune needs --prefix <prefix>, e\.g\. review-$/m);
    });
});
