/**
 * Process supervision for the local backends: detached processes that
 * outlive the `pulumi` run that started them, identities that survive pid
 * reuse, process groups (loopback ports are ./ports).
 *
 * Linux only: identities come from /proc. A process is named by its pid and
 * its start time, because a pid alone may belong to a stranger by the time a
 * later run (or `pulumi refresh`) looks at it.
 */
import { spawn } from "child_process";
import * as fs from "fs";

/** A process as recorded in state: its pid and its start time (clock ticks since boot, /proc/<pid>/stat field 22). */
export interface ProcessRef {
    pid: number;
    startTime: number;
}

/** What /proc/<pid>/stat says about a process. */
interface ProcStat {
    pid: number;
    /** R, S, D, T (stopped), Z (zombie), ... */
    state: string;
    pgrp: number;
    startTime: number;
}

function readStat(pid: number): ProcStat | undefined {
    let text: string;
    try {
        text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
        return undefined;
    }
    // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { pid, state: rest[0], pgrp: Number(rest[2]), startTime: Number(rest[19]) };
}

function allPids(): number[] {
    return fs
        .readdirSync("/proc")
        .filter((name) => /^\d+$/.test(name))
        .map(Number)
        .filter((pid) => pid !== process.pid);
}

/** A zombie has exited: only its parent's wait is missing, and some inits never do it. */
function running(stat: ProcStat | undefined): stat is ProcStat {
    return stat !== undefined && stat.state !== "Z" && stat.state !== "X";
}

/** The ref of a running process, or undefined when there is none with that pid. */
export function processRef(pid: number): ProcessRef | undefined {
    const stat = readStat(pid);
    return running(stat) ? { pid, startTime: stat.startTime } : undefined;
}

/**
 * Whether the process `ref` names is still running: same pid, same start
 * time, not a zombie and, if `cmdlineIncludes` is given, a command line that
 * contains it (so a process we did not start is never taken for ours).
 */
export function isAlive(ref: ProcessRef, cmdlineIncludes?: string): boolean {
    const stat = readStat(ref.pid);
    if (!running(stat) || stat.startTime !== ref.startTime) return false;
    if (cmdlineIncludes === undefined) return true;
    try {
        return fs.readFileSync(`/proc/${ref.pid}/cmdline`, "utf8").split("\0").join(" ").includes(cmdlineIncludes);
    } catch {
        return false;
    }
}

/** Whether a process with this pid runs a command line containing `cmdlineIncludes` (for pids kept without a start time). */
export function pidRunning(pid: number, cmdlineIncludes: string): boolean {
    const stat = readStat(pid);
    return Number.isInteger(pid) && pid > 0 && running(stat) && isAlive({ pid, startTime: stat.startTime }, cmdlineIncludes);
}

/** The ref of a child we just spawned; it may already have exited, or even been reaped. */
function spawnedRef(pid: number | undefined): ProcessRef | undefined {
    if (pid === undefined) return undefined;
    // Start time 0 still matches the child's own group (see groupMembers).
    return { pid, startTime: readStat(pid)?.startTime ?? 0 };
}

/** Whether `ref` is stopped (SIGSTOP). */
export function isStopped(ref: ProcessRef): boolean {
    const stat = readStat(ref.pid);
    return running(stat) && stat.startTime === ref.startTime && (stat.state === "T" || stat.state === "t");
}

/**
 * The running members of the process group `leader` started. Empty when the
 * leader's pid now belongs to another process. Once the leader has exited,
 * the kernel does not hand its id out again while the group has members, so
 * the members left are still ours.
 */
export function groupMembers(leader: ProcessRef): number[] {
    const stat = readStat(leader.pid);
    if (stat && stat.startTime !== leader.startTime) return [];
    return allPids()
        .map(readStat)
        .filter(running)
        .filter((s) => s.pgrp === leader.pid && s.startTime >= leader.startTime)
        .map((s) => s.pid);
}

/**
 * Whether the process group `leader` started still has a running member:
 * without a look through every process while the leader itself runs (a
 * health wait asks this at each probe, every `diff` of an app asks it).
 */
export function groupRunning(leader: ProcessRef): boolean {
    const stat = readStat(leader.pid);
    if (running(stat) && stat.startTime === leader.startTime && stat.pgrp === leader.pid) return true;
    return groupMembers(leader).length > 0;
}

/** Signals the whole process group `leader` started, if it still has members. */
export function signalGroup(leader: ProcessRef, signal: NodeJS.Signals): void {
    if (!groupRunning(leader)) return;
    signalPids([-leader.pid], signal);
}

/** Signals each pid (negative: a group), ignoring those that are gone. */
export function signalPids(pids: readonly number[], signal: NodeJS.Signals): void {
    for (const pid of pids) {
        try {
            process.kill(pid, signal);
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
        }
    }
}

/**
 * Running processes whose environment holds `name=value`. A marker in the
 * environment follows every descendant, including those that leave their
 * process group (setsid, daemonizing servers).
 */
export function processesWithEnv(name: string, value: string): number[] {
    const marker = `${name}=${value}`;
    return allPids().filter((pid) => {
        try {
            return fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(marker) && running(readStat(pid));
        } catch {
            return false;
        }
    });
}

/** Polls `condition` every `intervalMs` until it holds (true) or `timeoutMs` passes (false). */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (await condition()) return true;
        if (Date.now() >= deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
}

/**
 * Ends a set of processes: SIGTERM, then SIGKILL for those still running
 * after `graceMs`. `signal` sends a signal to all of them; `remaining` lists
 * those still running. Throws if any survive SIGKILL.
 */
export async function terminate(
    signal: (signal: NodeJS.Signals) => void,
    remaining: () => number[],
    graceMs = 3000,
): Promise<void> {
    const told = new Set(remaining());
    const ask = () => {
        signal("SIGTERM");
        // A stopped (paused) process acts on the SIGTERM only once continued.
        signal("SIGCONT");
    };
    ask();
    const allGone = () => {
        const left = remaining();
        // One started while we signalled (a child mid-fork) missed the first SIGTERM.
        if (left.some((pid) => !told.has(pid))) {
            left.forEach((pid) => told.add(pid));
            ask();
        }
        return left.length === 0;
    };
    if (await waitUntil(allGone, graceMs)) return;
    signal("SIGKILL");
    signalPids(remaining(), "SIGKILL");
    if (!(await waitUntil(() => remaining().length === 0, 5000))) {
        throw new Error(`processes ${remaining().join(", ")} did not exit after SIGKILL`);
    }
}

/** Ends the process group `leader` started (SIGTERM, then SIGKILL after `graceMs`). */
export function stopGroup(leader: ProcessRef, graceMs = 3000): Promise<void> {
    return terminate((signal) => signalGroup(leader, signal), () => groupMembers(leader), graceMs);
}

/** Where and how to start a process. */
export interface SpawnOptions {
    cwd: string;
    /** The whole environment: nothing is inherited. */
    env: Record<string, string>;
    /** Receives stdout and stderr (appended). */
    logFile: string;
}

/**
 * Starts a process in its own session and process group, its output
 * appended to a log file, so that it outlives the caller and does not keep
 * the caller's event loop alive. Resolves once it has started (it may
 * already have exited: a short command is not an error).
 */
export async function spawnDetached(file: string, args: readonly string[], opts: SpawnOptions): Promise<ProcessRef> {
    const log = fs.openSync(opts.logFile, "a");
    try {
        const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ["ignore", log, log] });
        const started = await new Promise<ProcessRef>((resolve, reject) => {
            child.once("error", reject);
            child.once("spawn", () => resolve(spawnedRef(child.pid)!));
        });
        child.unref();
        return started;
    } finally {
        fs.closeSync(log);
    }
}

/** How a foreground run ended. */
export interface RunResult {
    /** The exit code, or null when a signal ended it. */
    exitCode: number | null;
    signal: NodeJS.Signals | null;
    /** The last `tailLines` lines of stdout and stderr, interleaved. */
    output: string;
    /** Whether it was killed for running past `timeoutMs`. */
    timedOut: boolean;
}

/** Bounds the memory a chatty command's output takes while we keep its tail. */
const TAIL_BYTES = 64 * 1024;

/**
 * Runs a process to completion in its own process group and returns its
 * exit status and the tail of its output (also appended to `logFile`).
 * When it exits, whatever it left behind in its group is killed: a
 * foreground command's stragglers end with it.
 */
export async function runForeground(
    file: string,
    args: readonly string[],
    opts: SpawnOptions & { timeoutMs?: number; tailLines?: number },
): Promise<RunResult> {
    const log = fs.openSync(opts.logFile, "a");
    let tail = Buffer.alloc(0);
    const keep = (chunk: Buffer) => {
        fs.writeSync(log, chunk);
        tail = Buffer.concat([tail, chunk]);
        if (tail.length > TAIL_BYTES) tail = tail.subarray(tail.length - TAIL_BYTES);
    };
    try {
        const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        child.stdout.on("data", keep);
        child.stderr.on("data", keep);
        // Output still in the pipes arrives before 'close', which may come before or after 'exit'.
        const closed = new Promise((resolve) => child.once("close", resolve));
        let leader: ProcessRef | undefined;
        let timedOut = false;
        const timer =
            opts.timeoutMs === undefined
                ? undefined
                : setTimeout(() => {
                      timedOut = true;
                      if (leader) signalGroup(leader, "SIGKILL");
                  }, opts.timeoutMs);
        const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
            child.once("error", reject);
            child.once("spawn", () => (leader = spawnedRef(child.pid)));
            child.once("exit", (code, sig) => resolve([code, sig]));
        });
        clearTimeout(timer);
        if (leader) await stopGroup(leader, 1000);
        // A descendant that escaped the group could hold the pipes open for ever.
        let timeout: NodeJS.Timeout | undefined;
        await Promise.race([closed, new Promise((resolve) => (timeout = setTimeout(resolve, 1000)))]);
        clearTimeout(timeout);
        child.stdout.destroy();
        child.stderr.destroy();
        const lines = tail.toString("utf8").replace(/\n$/, "").split("\n");
        return { exitCode, signal, output: lines.slice(-(opts.tailLines ?? 40)).join("\n"), timedOut };
    } finally {
        fs.closeSync(log);
    }
}
