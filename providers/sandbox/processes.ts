/**
 * Running commands in a local sandbox: its environment (the sandbox's envs,
 * a few host variables, FLOW_NEXUS_SANDBOX_ID on every process so that the
 * ones that leave their process group are found too), bubblewrap isolation
 * where it works (read-only host, private /tmp and pid namespace, shared
 * network so loopback ports work), and signalling or ending them all.
 */
import { execFile } from "child_process";
import { randomBytes } from "crypto";
import { promises as fs, readdirSync, readFileSync, realpathSync } from "fs";
import * as path from "path";
import { linkEnv } from "../runtime/link-env";
import { TAIL_LINES } from "../runtime/logs";
import { groupMembers, processesWithEnv, ProcessRef, runForeground, RunResult, signalGroup, signalPids, spawnDetached, terminate } from "../runtime/process";
import { readSandbox, SandboxRecord } from "./record";
import type { Isolation } from "./schema";

/** The environment variable that marks every process of a sandbox. */
export const SANDBOX_MARKER = "FLOW_NEXUS_SANDBOX_ID";

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

// Probed once per process; FLOW_NEXUS_SANDBOX_ISOLATION=process skips it (tests, hosts where bwrap misbehaves).
let probe: Promise<Isolation> | undefined;

/** Whether sandboxes run under bubblewrap here, or as plain processes. */
export function isolationHere(): Promise<Isolation> {
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

/** A process's environment: the host's harmless variables, the sandbox's envs, what its links give (made now), then `extra`. */
async function environment(dir: string, record: SandboxRecord, extra: Record<string, string> = {}): Promise<Record<string, string>> {
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
        // <dataDir>/sandboxes/<id>
        ...(record.links?.length ? await linkEnv(path.dirname(path.dirname(dir)), record.id, record.links) : {}),
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

/** Runs `command` in the foreground in the sandbox in `dir` (its startup script, say). */
export async function runCommand(dir: string, record: SandboxRecord, command: string, opts: RunOptions): Promise<RunResult> {
    const [file, args] = commandLine(dir, record, command, true);
    return runForeground(file, args, {
        cwd: path.join(dir, "work"),
        env: await environment(dir, record, opts.env),
        logFile: opts.logFile ?? path.join(dir, "logs", `run-${Date.now()}.log`),
        timeoutMs: opts.timeoutMs,
        tailLines: TAIL_LINES,
    });
}

async function start(dir: string, record: SandboxRecord, command: string, opts: RunOptions): Promise<BackgroundProcess> {
    const [file, args] = commandLine(dir, record, command, false);
    const logFile = opts.logFile ?? path.join(dir, "logs", `process-${Date.now()}-${randomBytes(3).toString("hex")}.log`);
    const ref = await spawnDetached(file, args, { cwd: path.join(dir, "work"), env: await environment(dir, record, opts.env), logFile });
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
    return opts.background ? start(sandbox.dir, sandbox, command, opts) : runCommand(sandbox.dir, sandbox, command, opts);
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
