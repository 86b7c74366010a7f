/**
 * Nothing lost, nothing leaked, on the real engine: a destroy refused for
 * data deletes nothing, a schema rename never drops rows silently, nested
 * secrets stay secret, the credentials policy judges a real preview, a
 * platform whose processes all died comes back with one `up`, and a killed
 * `pulumi up` leaves no process behind and recovers with one command.
 */
import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import { promises as fs, readdirSync, readFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { balance } from "../../providers/billing/ledger";
import { readDeployment } from "../../providers/deployment/record";
import { probe } from "../../providers/runtime/http";
import { withDatabase } from "../../providers/runtime/postgres";
import { postgresRunning } from "../../providers/runtime/postgres-server";
import { isAlive, ProcessRef, processRef, signalPids, waitUntil } from "../../providers/runtime/process";
import { taskHost } from "../../providers/runtime/task-host";
import { SANDBOX_MARKER } from "../../providers/sandbox/processes";
import { readRecord, readSandbox } from "../../providers/sandbox/record";
import { BucketClient } from "../../providers/storage";
import { cliEnv, engineBinDir, PROJECT_DIR, runCli, TestStack } from "./harness";

const PASSPHRASE = "safety-e2e-passphrase";
const PASSWORD = "e2e-password-for-tests";
/** Recognisable secret values, counted wherever a user could find them. */
const APP_CANARY = "canary-app-token-5c1f0e";
const SANDBOX_CANARY = "canary-sandbox-secret-9b27d4";
/** How many random moments the kill test kills `pulumi up` at (the closing note's figures use 10). */
const KILL_POINTS = Number(process.env.FLOW_NEXUS_KILL_POINTS ?? 2);

/** Every file under `dir`, read as text. */
async function filesUnder(dir: string): Promise<Array<{ file: string; text: string }>> {
    const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
    return Promise.all(files.map(async (file) => ({ file, text: await fs.readFile(file, "utf8") })));
}

function occurrences(text: string, needle: string): number {
    return text.split(needle).length - 1;
}

/** The environment variables of a running process. */
function environOf(pid: number): Record<string, string> {
    const entries = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
    return Object.fromEntries(entries.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

function cmdlineOf(pid: number): string {
    try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
    } catch {
        return "";
    }
}

function parentOf(pid: number): number | undefined {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
        return undefined;
    }
}

function pids(): number[] {
    return readdirSync("/proc").filter((n) => /^\d+$/.test(n)).map(Number);
}

/** Every live process of a stack's platform: its database, supervisors, watchdogs and what runs in its sandboxes. */
function platformProcesses(dataDir: string): ProcessRef[] {
    return pids()
        .filter((pid) => pid !== process.pid)
        .filter((pid) => {
            if (cmdlineOf(pid).includes(dataDir)) return true;
            try {
                return SANDBOX_MARKER in environOf(pid);
            } catch {
                return false;
            }
        })
        .map((pid) => processRef(pid))
        .filter((ref): ref is ProcessRef => ref !== undefined);
}

/** The processes a `pulumi up` starts for itself (engine, language host, program, providers), by their command lines. */
const RUN_PROCESS = /pulumi|cmd\/run|dynamic-provider|run-policy-pack/;

/** `root` and its descendants now, as refs with their command lines. */
function processTree(root: number): Array<ProcessRef & { cmdline: string }> {
    const children = new Map<number, number[]>();
    for (const pid of pids()) {
        const parent = parentOf(pid);
        if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), pid]);
    }
    const tree: Array<ProcessRef & { cmdline: string }> = [];
    const visit = (pid: number) => {
        const ref = processRef(pid);
        if (ref) tree.push({ ...ref, cmdline: cmdlineOf(pid) });
        for (const child of children.get(pid) ?? []) visit(child);
    };
    visit(root);
    return tree;
}

describe("safety: nothing lost, nothing leaked, on the real engine", function () {
    let stack: TestStack;
    let dataDir: string;
    let outputs: Record<string, any>;
    let scratch: string;

    /** Everything a user could find the canaries in: the stack's export, its whole state folder (backups, history) and every command's output. */
    async function canaryCount(): Promise<Record<string, number>> {
        const exported = JSON.stringify(await stack.exportState());
        const state = await filesUnder(path.join(stack.workDir, "state"));
        const output = stack.transcript.join("\n");
        const count = (needle: string) =>
            occurrences(exported, needle) + state.reduce((n, f) => n + occurrences(f.text, needle), 0) + occurrences(output, needle);
        return { [APP_CANARY]: count(APP_CANARY), [SANDBOX_CANARY]: count(SANDBOX_CANARY) };
    }

    async function query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
        return withDatabase(dataDir, async (client) => (await client.query(sql)).rows as T[]);
    }

    const urns = async () => ((await stack.exportState()).deployment.resources ?? []).map((r) => `${r.urn} ${r.id ?? ""}`).sort();

    before(async function () {
        scratch = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-safety-"));
        stack = await TestStack.create(PROJECT_DIR, {
            secrets: {
                "flow-nexus:password": PASSWORD,
                "flow-nexus:app.env.API_TOKEN": APP_CANARY,
                "flow-nexus:sandbox.envs.SANDBOX_SECRET": SANDBOX_CANARY,
            },
            // Credits below the refill threshold from the start: the first meter of the sandbox's running time would refill.
            config: { "flow-nexus:sandbox.envs.NODE_ENV": "development", "flow-nexus:billing.initialCredits": "10" },
            env: { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE },
        });
        dataDir = path.join(PROJECT_DIR, ".flow-nexus", "stacks", stack.name);
    });
    after(async function () {
        if (stack) {
            await runCli(["recover", "--stack", stack.name], cliEnv(stack, PASSPHRASE), scratch);
            await stack.dispose();
        }
        await fs.rm(scratch, { recursive: true, force: true });
    });

    it("nested --secret config values reach the app and the sandbox, and appear nowhere in state or the engine's output", async function () {
        await stack.preview();
        await stack.up();
        outputs = await stack.outputs();
        assert.equal(outputs.workflowComplete, true);
        assert.equal(outputs.balance.credits, await balance(dataDir, outputs.userId), "the balance output is the ledger's at the end of up");
        const [deployment] = await stack.resources("Deployment");
        const record = (await readDeployment(deployment.outputs.appDir))!;
        const env = environOf(record.process!.pid);
        assert.equal(env.API_TOKEN, APP_CANARY, "the app has its secret env");
        assert.equal(env.SANDBOX_SECRET, SANDBOX_CANARY, "and the sandbox's");
        assert.deepEqual(await canaryCount(), { [APP_CANARY]: 0, [SANDBOX_CANARY]: 0 });
        // Not by luck: the engine holds them, as secrets.
        const [sandbox] = await stack.resources("Sandbox");
        assert.match(JSON.stringify(sandbox.inputs.envs), /4dabf18193072939515e22adb298388d/);
        assert.match(JSON.stringify(deployment.outputs.env), /4dabf18193072939515e22adb298388d/);
    });

    it("after every process of the stack is killed (a reboot), one up brings back the database, sandbox, app and watchdog", async function () {
        const before = platformProcesses(dataDir);
        assert.ok(before.length >= 4, `the platform runs: ${before.length} processes`);
        // One may exit by itself while the others are killed (a child of one killed before it): gone is gone.
        signalPids(before.map((ref) => ref.pid), "SIGKILL");
        assert.ok(await waitUntil(() => platformProcesses(dataDir).length === 0, 10_000), "every process of the stack is gone");
        assert.equal(postgresRunning(dataDir), false);

        const { output } = await stack.up();
        assert.match(output, /~\s+pulumi-nodejs:dynamic\/flownexus:Sandbox \S+ updated/);
        const after = await stack.outputs();
        assert.equal(after.sandboxId, outputs.sandboxId, "the same sandbox, started again");
        assert.equal((await probe(after.app.healthUrl, 5000)).statusCode, 200, "the app answers");
        assert.equal(postgresRunning(dataDir), true, "the database runs");
        assert.equal((await readSandbox(dataDir, after.sandboxId))?.status, "running");
        const [monitor] = await stack.resources("Monitor");
        assert.equal(taskHost(dataDir, "watchdog", monitor.outputs.monitorId)?.pid, monitor.outputs.watchdogPid, "the watchdog runs");
        assert.equal(after.workflowComplete, true, "and the outputs say so");
        await stack.preview("--expect-no-changes");
        outputs = after;
    });

    it("a destroy refused for a bucket's objects leaves the schema's rows and every resource in place", async function () {
        const bucket = await BucketClient.open(dataDir, "platform-assets");
        await bucket.upload("reports/q3.txt", "keep me", "text/plain");
        await query("insert into app.projects (name) values ('kept'); insert into app.messages (project_id, body) select id, 'hello' from app.projects");
        const resources = await urns();
        const result = await stack.tryRun(["destroy", "--stack", stack.name, "--non-interactive", "--yes", "--skip-preview"]);
        assert.notEqual(result.code, 0);
        assert.match(result.output, /deleting this platform would lose data, so nothing was deleted/);
        assert.match(result.output, /bucket platform-assets holds 1 object \(StorageBucket \S+, flow-nexus:storage\.forceDestroy\)/);
        assert.match(result.output, /schema app holds 2 rows \(messages: 1, projects: 1\) \(DatabaseSchema \S+, flow-nexus:database\.forceDestroy\)/);
        for (const line of result.output.split("\n")) assert.ok(occurrences(line, "would lose data") <= 1, `said once per line: ${line}`);
        assert.doesNotMatch(result.output, /^\s+at /m, "no stack trace");

        assert.deepEqual(await urns(), resources, "every resource is still in the state");
        assert.deepEqual(await query("select body from app.messages"), [{ body: "hello" }]);
        assert.deepEqual(await bucket.list(), ["reports/q3.txt"]);
        assert.equal((await probe(outputs.app.healthUrl, 5000)).statusCode, 200, "and the app still serves");
        await stack.preview("--expect-no-changes");
    });

    it("renaming a schema that holds rows fails at preview and up, naming its tables; with forceDestroy it goes through", async function () {
        const resources = await urns();
        await stack.setConfig("flow-nexus:database.schema", "app2");
        const preview = await stack.tryRun(["preview", "--stack", stack.name, "--non-interactive"]);
        assert.notEqual(preview.code, 0);
        const refusal = /renaming schema app to app2 would drop schema app, which holds 2 rows \(messages: 1, projects: 1\): nothing was changed/;
        assert.match(preview.output, refusal);
        const up = await stack.tryRun(["up", "--stack", stack.name, "--non-interactive", "--yes", "--skip-preview"]);
        assert.notEqual(up.code, 0);
        assert.match(up.output, refusal);
        assert.deepEqual(await urns(), resources, "nothing was replaced");
        assert.deepEqual(await query("select body from app.messages"), [{ body: "hello" }], "nothing was dropped");

        await stack.setConfig("flow-nexus:database.forceDestroy", "true");
        await stack.up();
        assert.deepEqual(await query("select nspname from pg_namespace where nspname in ('app', 'app2')"), [{ nspname: "app2" }]);
        outputs = await stack.outputs();
        assert.equal(outputs.schema.name, "app2");
        assert.equal(outputs.phase2Complete, true);
    });

    it("a SIGKILL of up at random moments: within seconds no process of the run is left, and `flow-nexus recover` converges with no orphan", async function () {
        const env = {
            ...cliEnv(stack, PASSPHRASE),
            PATH: `${engineBinDir()}${path.delimiter}${process.env.PATH}`,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_NODEJS_TRANSPILE_ONLY: "true",
        };
        for (let point = 0; point < KILL_POINTS; point++) {
            // Each round replaces the sandbox, its app and monitor: an up with work to be killed in.
            await stack.setConfig("flow-nexus:sandbox.template", point % 2 === 0 ? "python" : "node");
            const delayMs = 300 + Math.floor(Math.random() * 9000);
            const up: ChildProcess = spawn("pulumi", ["up", "--stack", stack.name, "--yes", "--skip-preview", "--non-interactive"], {
                cwd: PROJECT_DIR,
                env,
                stdio: "ignore",
            });
            const exited = new Promise((resolve) => up.on("exit", resolve));
            const seen = new Map<number, ProcessRef & { cmdline: string }>();
            const started = Date.now();
            while (Date.now() - started < delayMs && up.exitCode === null) {
                for (const p of processTree(up.pid!)) if (RUN_PROCESS.test(p.cmdline)) seen.set(p.pid, p);
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
            const finished = up.exitCode !== null;
            if (!finished) process.kill(up.pid!, "SIGKILL");
            await exited;
            const gone = await waitUntil(() => [...seen.values()].every((p) => !isAlive(p)), 10_000, 100);
            const left = [...seen.values()].filter((p) => isAlive(p));

            const recovered = await runCli(["recover", "--stack", stack.name, "--json"], env, scratch);
            const dry = await runCli(["cleanup", "--stack", stack.name, "--dry-run", "--json"], env, scratch);
            const orphans = dry.code === 0 ? JSON.parse(dry.stdout).stacks[0].objects.filter((o: any) => o.status === "orphan").length : -1;
            const converged = (await stack.tryRun(["preview", "--stack", stack.name, "--non-interactive", "--expect-no-changes"])).code === 0;
            const supervisors = platformProcesses(dataDir).filter((p) => cmdlineOf(p.pid).includes("supervisor.ts")).length;
            const figure =
                `kill point ${point + 1}: ${finished ? "up had finished" : `killed at ${delayMs} ms`}, ${seen.size} run processes, ` +
                `${left.length} left after the kill, recover exit ${recovered.code} (1 command), ${orphans} orphans, ${supervisors} sandbox supervisor(s), converged ${converged}`;
            // Printed as they come, so that a failing point still shows the ones before it.
            console.log(`      ${figure}`);
            assert.ok(gone, `no process of the killed run is left: ${left.map((p) => `${p.pid} ${p.cmdline}`).join("; ")}`);
            assert.equal(recovered.code, 0, recovered.stderr);
            assert.equal(orphans, 0, dry.stdout + dry.stderr);
            assert.equal(converged, true, "a preview after the recovery has no changes");
            assert.equal(supervisors, 1, "one sandbox runs: the stack's");
        }
        outputs = await stack.outputs();
        assert.equal((await probe(outputs.app.healthUrl, 5000)).statusCode, 200);
        assert.equal((await readRecord(path.join(dataDir, "sandboxes", outputs.sandboxId)))?.id, outputs.sandboxId);
    });

    it("after all of that, the canaries still appear nowhere in state or output", async function () {
        assert.deepEqual(await canaryCount(), { [APP_CANARY]: 0, [SANDBOX_CANARY]: 0 });
    });
});

describe("safety: the credentials policy judges a real full-platform preview", function () {
    let stack: TestStack;

    before(async function () {
        stack = await TestStack.create(PROJECT_DIR, {
            secrets: { "flow-nexus:password": PASSWORD },
            config: { "flow-nexus:sandbox.envs.STRIPE_API_KEY": "sk_live_plaintext_in_config" },
        });
    });
    after(async function () {
        await stack?.dispose();
    });

    it("a plaintext key in sandbox.envs is blocked under prod.json, though other inputs are unknown at preview", async function () {
        const policies = path.join(PROJECT_DIR, "policies");
        const result = await stack.tryRun([
            "preview", "--stack", stack.name, "--non-interactive",
            "--policy-pack", policies, "--policy-pack-config", path.join(policies, "config", "prod.json"),
        ]);
        assert.notEqual(result.code, 0);
        assert.match(result.output, /credentials-are-secrets/);
        assert.match(result.output, /Sandbox \S+: envs\.STRIPE_API_KEY holds a credential in plain text/);
        const created = ((await stack.exportState()).deployment.resources ?? []).filter((r) => r.type !== "pulumi:pulumi:Stack");
        assert.deepEqual(created, [], "nothing was created");
    });
});
