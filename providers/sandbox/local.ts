/**
 * The local Sandbox backend: a process sandbox. A sandbox is a folder
 * `<dataDir>/sandboxes/<id>/` holding `sandbox.json` (what it is), `work/`
 * (where its commands run), `home/`, `logs/` and `procs/` (one file per
 * background process), kept alive by a detached supervisor (./supervisor)
 * that enforces its timeout. Commands run under bubblewrap where it works
 * (read-only host, private /tmp and pid namespace, shared network so
 * loopback ports work), as plain processes elsewhere.
 *
 * Every process of a sandbox carries FLOW_NEXUS_SANDBOX_ID in its
 * environment, so the ones that leave their process group are found too.
 */
import { execFile } from "child_process";
import { randomBytes } from "crypto";
import { existsSync, promises as fs, readdirSync, readFileSync, realpathSync } from "fs";
import * as path from "path";
import {
    allocatePorts,
    groupMembers,
    isAlive,
    isListening,
    processesWithEnv,
    ProcessRef,
    runForeground,
    RunResult,
    signalGroup,
    signalPids,
    spawnDetached,
    stopGroup,
    terminate,
    waitUntil,
} from "../runtime/process";
import { recordSandboxUsage, requireCredits, runRefill } from "../billing/api";
import { writeFileAtomic } from "../runtime/files";
import type { BillingRef } from "../runtime/lineage";
import { spawnTypeScriptProcess } from "../runtime/load";
import { fingerprint } from "./fingerprint";
import type { Inputs, Isolation, Outputs, SandboxBackend } from "./resource";

/** The environment variable that marks every process of a sandbox. */
export const SANDBOX_MARKER = "FLOW_NEXUS_SANDBOX_ID";
const HOST = "127.0.0.1";
/** Lines of a failed startup script's output quoted in the error. */
const TAIL_LINES = 40;

/**
 * Charges a billed sandbox's running time up to now (idempotent per period,
 * so the supervisor's minute ticks and a final delete never double-charge),
 * then lets the refill run top the account up if it fell below its threshold.
 */
export async function meterUsage(dataDir: string, record: SandboxRecord): Promise<void> {
    if (!record.billing) return;
    const { account, creditsPerHour } = record.billing;
    await recordSandboxUsage(dataDir, account, record.id, new Date(record.startedAt), new Date(), creditsPerHour);
    await runRefill(dataDir, account);
}

/** What a local sandbox's `sandbox.json` holds. */
export interface SandboxRecord {
    id: string;
    /** The replace-defining inputs it was made from (see fingerprint). */
    fingerprint: string;
    template: Inputs["template"];
    envs: Record<string, string>;
    metadata: Record<string, string>;
    tags: Inputs["tags"];
    ports: number[];
    startedAt: string;
    endAt: string;
    timeoutSeconds: number;
    onTimeout: Inputs["onTimeout"];
    isolation: Isolation;
    /** Absent only while the sandbox is being created. */
    supervisor?: ProcessRef;
    /** Where its running time is charged. */
    billing?: BillingRef;
}

/** A running sandbox as its processes see it. */
export interface SandboxInfo extends SandboxRecord {
    dir: string;
    workDir: string;
    status: Outputs["status"];
}

/** A background process started in a sandbox. */
export interface BackgroundProcess extends ProcessRef {
    logFile: string;
}

/** How {@link runInSandbox} runs a command. */
export interface RunOptions {
    /** Leave it running, detached, in its own process group. Default false: wait for it to exit. */
    background?: boolean;
    /** Extra environment variables, over the sandbox's envs. */
    env?: Record<string, string>;
    /** Receives stdout and stderr (appended). Default: a new file in the sandbox's logs/. */
    logFile?: string;
    /** Foreground only: kill the command after this many milliseconds. */
    timeoutMs?: number;
}

/** The folder of sandbox `sandboxId` of the stack whose data folder is `dataDir`. */
export function sandboxDir(dataDir: string, sandboxId: string): string {
    return path.join(path.resolve(dataDir), "sandboxes", sandboxId);
}

const recordFile = (dir: string) => path.join(dir, "sandbox.json");
const pausedFile = (dir: string) => path.join(dir, "paused");
/** Written by the supervisor once it handles signals, so nobody signals it too early. */
export const readyFile = (dir: string) => path.join(dir, "supervisor.ready");

/** The sandbox.json in `dir`, or undefined when there is none (never created, deleted, expired). */
export async function readRecord(dir: string): Promise<SandboxRecord | undefined> {
    try {
        return JSON.parse(await fs.readFile(recordFile(dir), "utf8")) as SandboxRecord;
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
    }
}

async function writeRecord(dir: string, record: SandboxRecord): Promise<void> {
    // Atomic: the supervisor re-reads it at any moment. Private: envs may hold secrets.
    await writeFileAtomic(recordFile(dir), JSON.stringify(record, null, 2), 0o600);
}

async function listRecords(dataDir: string): Promise<SandboxRecord[]> {
    let ids: string[];
    try {
        ids = await fs.readdir(path.join(path.resolve(dataDir), "sandboxes"));
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw err;
    }
    const records = await Promise.all(ids.map((id) => readRecord(sandboxDir(dataDir, id))));
    return records.filter((r): r is SandboxRecord => r !== undefined);
}

/** A sandbox is alive while its supervisor is: a dead supervisor means it was killed or the machine restarted. */
function supervisorAlive(record: SandboxRecord): boolean {
    return record.supervisor !== undefined && isAlive(record.supervisor, record.id);
}

/** Whether the supervisor has paused the sandbox in `dir` at its timeout. */
export async function isPaused(dir: string): Promise<boolean> {
    return existsSync(pausedFile(dir));
}

/** Marks the sandbox paused or running; only its supervisor calls this. */
export async function setPaused(dir: string, paused: boolean): Promise<void> {
    if (paused) await fs.writeFile(pausedFile(dir), new Date().toISOString());
    else await fs.rm(pausedFile(dir), { force: true });
}

/** The sandbox `sandboxId` of `dataDir` if it is alive, else undefined. */
export async function readSandbox(dataDir: string, sandboxId: string): Promise<SandboxInfo | undefined> {
    const dir = sandboxDir(dataDir, sandboxId);
    const record = await readRecord(dir);
    if (!record || !supervisorAlive(record)) return undefined;
    const status = (await isPaused(dir)) ? "paused" : "running";
    return { ...record, dir, workDir: path.join(dir, "work"), status };
}

// Probed once per process; FLOW_NEXUS_SANDBOX_ISOLATION=process skips it (tests, hosts where bwrap misbehaves).
let probe: Promise<Isolation> | undefined;

function isolationHere(): Promise<Isolation> {
    if (process.env.FLOW_NEXUS_SANDBOX_ISOLATION === "process") return Promise.resolve("process");
    probe ??= new Promise((resolve) =>
        execFile("bwrap", [...bwrapArgs(), "true"], { timeout: 10_000 }, (err) => resolve(err ? "process" : "bubblewrap")),
    );
    return probe;
}

function bwrapArgs(dir?: string, cwd?: string, dieWithParent = false): string[] {
    return [
        ...["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"],
        ...(dir ? ["--bind", dir, dir] : []),
        ...(cwd ? ["--chdir", cwd] : []),
        "--unshare-pid",
        ...(dieWithParent ? ["--die-with-parent"] : []),
        "--",
    ];
}

/** The host variables a sandbox sees; the rest (credentials, Pulumi's own) stays outside. */
const INHERITED_ENV = ["PATH", "LANG", "LC_ALL", "TZ", "TERM", "USER", "LOGNAME", "SHELL", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE"];
const PROXY_ENV = ["http_proxy", "https_proxy", "no_proxy"];

function environment(dir: string, record: SandboxRecord, extra: Record<string, string> = {}): Record<string, string> {
    const inherited: Record<string, string> = {};
    for (const name of [...INHERITED_ENV, ...PROXY_ENV, ...PROXY_ENV.map((n) => n.toUpperCase())]) {
        const value = process.env[name];
        if (value !== undefined) inherited[name] = value;
    }
    return {
        ...inherited,
        // The host's home is read-only under bubblewrap; tools (npm) need a writable one.
        HOME: path.join(dir, "home"),
        FLOW_NEXUS_PORTS: record.ports.join(","),
        ...record.envs,
        ...extra,
        [SANDBOX_MARKER]: record.id,
    };
}

/** The argv that runs `command` with `sh -c` inside the sandbox. */
function commandLine(dir: string, record: SandboxRecord, command: string, foreground: boolean): [string, string[]] {
    if (record.isolation === "process") return ["sh", ["-c", command]];
    const real = realpathSync(dir);
    // Only a foreground command dies with its caller; a background one outlives the pulumi run.
    return ["bwrap", [...bwrapArgs(real, path.join(real, "work"), foreground), "sh", "-c", command]];
}

async function run(dir: string, record: SandboxRecord, command: string, opts: RunOptions): Promise<RunResult> {
    const [file, args] = commandLine(dir, record, command, true);
    return runForeground(file, args, {
        cwd: path.join(dir, "work"),
        env: environment(dir, record, opts.env),
        logFile: opts.logFile ?? path.join(dir, "logs", `run-${Date.now()}.log`),
        timeoutMs: opts.timeoutMs,
        tailLines: TAIL_LINES,
    });
}

async function start(dir: string, record: SandboxRecord, command: string, opts: RunOptions): Promise<BackgroundProcess> {
    const [file, args] = commandLine(dir, record, command, false);
    const logFile = opts.logFile ?? path.join(dir, "logs", `process-${Date.now()}-${randomBytes(3).toString("hex")}.log`);
    const ref = await spawnDetached(file, args, { cwd: path.join(dir, "work"), env: environment(dir, record, opts.env), logFile });
    await fs.writeFile(path.join(dir, "procs", `${ref.pid}.json`), JSON.stringify({ ...ref, command, logFile }));
    return { ...ref, logFile };
}

/**
 * Runs `sh -c command` in a sandbox's work dir with its envs (and
 * `opts.env`). In the foreground it resolves when the command exits, with
 * its exit code and the tail of its output, and kills what it left in its
 * process group. In the background it resolves once the process started;
 * the process runs until it exits, is stopped (`stopGroup` from
 * providers/runtime/process) or the sandbox ends. Throws if the sandbox is
 * gone or paused.
 */
export function runInSandbox(dataDir: string, sandboxId: string, command: string, opts: RunOptions & { background: true }): Promise<BackgroundProcess>;
export function runInSandbox(dataDir: string, sandboxId: string, command: string, opts?: RunOptions & { background?: false }): Promise<RunResult>;
export async function runInSandbox(dataDir: string, sandboxId: string, command: string, opts: RunOptions = {}): Promise<RunResult | BackgroundProcess> {
    const sandbox = await readSandbox(dataDir, sandboxId);
    if (!sandbox) throw new Error(`sandbox ${sandboxId} is gone (expired, killed or deleted)`);
    if (sandbox.status === "paused") throw new Error(`sandbox ${sandboxId} is paused; change its timeoutSeconds to resume it`);
    return opts.background ? start(sandbox.dir, sandbox, command, opts) : run(sandbox.dir, sandbox, command, opts);
}

function backgroundGroups(dir: string): ProcessRef[] {
    try {
        return readdirSync(path.join(dir, "procs")).map((f) => JSON.parse(readFileSync(path.join(dir, "procs", f), "utf8")));
    } catch {
        return [];
    }
}

function sandboxPids(dir: string, sandboxId: string): number[] {
    const pids = new Set(processesWithEnv(SANDBOX_MARKER, sandboxId));
    for (const group of backgroundGroups(dir)) groupMembers(group).forEach((pid) => pids.add(pid));
    return [...pids];
}

/** Sends `signal` to every process of the sandbox (SIGSTOP pauses it, SIGCONT resumes it). */
export function signalProcesses(dir: string, sandboxId: string, signal: NodeJS.Signals): void {
    for (const group of backgroundGroups(dir)) signalGroup(group, signal);
    signalPids(processesWithEnv(SANDBOX_MARKER, sandboxId), signal);
}

/** Ends every process of the sandbox, paused ones included. */
export function killProcesses(dir: string, sandboxId: string): Promise<void> {
    return terminate(
        (signal) => signalProcesses(dir, sandboxId, signal),
        () => sandboxPids(dir, sandboxId),
    );
}

/** Removes a sandbox completely: supervisor, processes, folder. Nothing there is not an error. */
async function destroy(dir: string, sandboxId: string): Promise<void> {
    const record = await readRecord(dir);
    // The supervisor first, so it does not act (pause, expire) on a sandbox being taken apart.
    if (record?.supervisor && isAlive(record.supervisor, sandboxId)) await stopGroup(record.supervisor);
    await killProcesses(dir, sandboxId);
    await fs.rm(dir, { recursive: true, force: true });
}

async function startSupervisor(dir: string): Promise<ProcessRef> {
    const logFile = path.join(dir, "logs", "supervisor.log");
    const ref = await spawnTypeScriptProcess(path.join(__dirname, "supervisor.ts"), [dir], { cwd: dir, logFile });
    await waitUntil(() => existsSync(readyFile(dir)) || !isAlive(ref), 30_000, 100);
    if (!existsSync(readyFile(dir))) {
        if (isAlive(ref)) await stopGroup(ref);
        const log = await fs.readFile(logFile, "utf8").catch(() => "");
        throw new Error(`the sandbox supervisor did not start:\n${log.split("\n").slice(-TAIL_LINES).join("\n")}`);
    }
    return ref;
}

function outputs(inputs: Inputs, record: SandboxRecord, dir: string, paused: boolean): Outputs {
    const { template, envs, metadata, tags, timeoutSeconds, onTimeout } = record;
    return {
        ...inputs,
        template,
        envs,
        metadata,
        tags,
        timeoutSeconds,
        onTimeout,
        sandboxId: record.id,
        status: paused ? "paused" : "running",
        host: HOST,
        allocatedPorts: record.ports,
        startedAt: record.startedAt,
        endAt: record.endAt,
        isolation: record.isolation,
        workDir: path.join(dir, "work"),
    } satisfies Outputs;
}

async function create(inputs: Inputs): Promise<Outputs> {
    const dataDir = inputs.backend.dataDir!;
    const records = await listRecords(dataDir);
    const wanted = fingerprint(inputs);
    const mine = (r: SandboxRecord) => r.tags["flow-nexus:urn"] === inputs.tags["flow-nexus:urn"] && r.fingerprint === wanted;
    for (const record of records.filter(mine)) {
        const dir = sandboxDir(dataDir, record.id);
        // Made by an interrupted run of this resource: adopt it if it lives, else clear what it left.
        if (supervisorAlive(record)) return outputs(inputs, record, dir, await isPaused(dir));
        await destroy(dir, record.id);
    }

    const id = `sbx-${randomBytes(6).toString("hex")}`;
    // Before anything starts: a billed sandbox needs credits.
    if (inputs.billing) await requireCredits(dataDir, inputs.billing.account, `sandbox ${id} (${inputs.template})`);
    const dir = sandboxDir(dataDir, id);
    try {
        for (const sub of ["work", "home", "logs", "procs"]) await fs.mkdir(path.join(dir, sub), { recursive: true });
        const startedAt = new Date();
        const record: SandboxRecord = {
            id,
            fingerprint: wanted,
            template: inputs.template,
            envs: inputs.envs,
            metadata: inputs.metadata,
            tags: inputs.tags,
            // Ports another live sandbox holds may be free only because its server is not up yet.
            ports: await allocatePorts(inputs.ports, new Set(records.filter(supervisorAlive).flatMap((r) => r.ports))),
            startedAt: startedAt.toISOString(),
            endAt: new Date(startedAt.getTime() + inputs.timeoutSeconds * 1000).toISOString(),
            timeoutSeconds: inputs.timeoutSeconds,
            onTimeout: inputs.onTimeout,
            isolation: await isolationHere(),
            billing: inputs.billing,
        };
        // Recorded before the script runs, so an interrupted create is found (by its URN) and cleared.
        await writeRecord(dir, record);
        if (inputs.startupScript !== undefined) {
            const result = await run(dir, record, inputs.startupScript, {
                logFile: path.join(dir, "logs", "startup.log"),
                timeoutMs: inputs.timeoutSeconds * 1000,
            });
            if (result.exitCode !== 0) {
                const how = result.timedOut
                    ? `did not finish within timeoutSeconds (${inputs.timeoutSeconds})`
                    : result.exitCode === null
                      ? `was killed by ${result.signal}`
                      : `exited with code ${result.exitCode}`;
                throw new Error(`the startup script of sandbox ${id} ${how}; the last lines of its output:\n${result.output}`);
            }
        }
        record.supervisor = await startSupervisor(dir);
        await writeRecord(dir, record);
        return outputs(inputs, record, dir, false);
    } catch (err) {
        await destroy(dir, id);
        throw err;
    }
}

/**
 * Starts a sandbox whose supervisor died (a reboot, a kill) again in place:
 * its folder and files are kept, what is left of its processes is ended, its
 * ports are kept where they are free, and its running time and timeout count
 * from now (the time it was down is not charged).
 */
async function restart(dir: string, record: SandboxRecord): Promise<SandboxRecord> {
    await killProcesses(dir, record.id);
    await fs.rm(path.join(dir, "procs"), { recursive: true, force: true });
    await fs.mkdir(path.join(dir, "procs"), { recursive: true });
    await Promise.all([fs.rm(readyFile(dir), { force: true }), setPaused(dir, false)]);
    const taken = await Promise.all(record.ports.map((port) => isListening(port)));
    const others = new Set((await listRecords(path.dirname(path.dirname(dir)))).filter((r) => r.id !== record.id && supervisorAlive(r)).flatMap((r) => r.ports));
    const ports = taken.some(Boolean) ? await allocatePorts(record.ports.length, others) : record.ports;
    const now = new Date();
    const restarted: SandboxRecord = { ...record, ports, startedAt: now.toISOString(), endAt: new Date(now.getTime() + record.timeoutSeconds * 1000).toISOString(), supervisor: undefined };
    await writeRecord(dir, restarted);
    restarted.supervisor = await startSupervisor(dir);
    await writeRecord(dir, restarted);
    return restarted;
}

export const backend: SandboxBackend = {
    create,

    async read(id, state) {
        const dir = sandboxDir(state.backend.dataDir!, id);
        const record = await readRecord(dir);
        if (!record) return undefined;
        // Down but not gone (its files are there): the next up starts it again.
        if (!supervisorAlive(record)) return { ...outputs(state, record, dir, false), status: "stopped" };
        return outputs(state, record, dir, await isPaused(dir));
    },

    async down(id, state) {
        const record = await readRecord(sandboxDir(state.backend.dataDir!, id));
        return record && !supervisorAlive(record) ? `sandbox ${record.id} is not running (its supervisor is gone)` : undefined;
    },

    async update(id, olds, news) {
        const dir = sandboxDir(news.backend.dataDir!, id);
        let record = await readRecord(dir);
        if (!record) throw new Error(`sandbox ${id} is gone (expired or deleted); run \`pulumi refresh\`, then \`pulumi up\` creates a new one`);
        if (!supervisorAlive(record)) record = await restart(dir, record);
        const next: SandboxRecord = { ...record, timeoutSeconds: news.timeoutSeconds, onTimeout: news.onTimeout, tags: news.tags, billing: news.billing };
        // Like E2B's setTimeout: a new timeout counts from now.
        if (news.timeoutSeconds !== olds.timeoutSeconds) next.endAt = new Date(Date.now() + news.timeoutSeconds * 1000).toISOString();
        await writeRecord(dir, next);
        signalPids([record.supervisor!.pid], "SIGHUP");
        // A paused sandbox given time again is resumed by its supervisor; report it once it has.
        if (Date.parse(next.endAt) > Date.now()) await waitUntil(async () => !(await isPaused(dir)), 5000);
        return outputs(news, next, dir, await isPaused(dir));
    },

    async delete(id, state) {
        const dir = sandboxDir(state.backend.dataDir!, id);
        const record = await readRecord(dir);
        // The last stretch of running time is charged before the sandbox goes.
        if (record) await meterUsage(state.backend.dataDir!, record);
        await destroy(dir, id);
    },
};
