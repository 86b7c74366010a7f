/**
 * One helper process per stack and kind, serving every task of that kind:
 * the stack's sandbox supervisors are tasks of one `supervisor` process, its
 * monitors' watchdogs tasks of one `watchdog` process (a Node.js process
 * holds some 40 MB before it does anything: ten platforms would otherwise
 * keep twenty of them).
 *
 * Its folder, `<dataDir>/hosts/<kind>/`: `host.json` (the process),
 * `tasks/<id>.json` (a task a backend asked for: it is assigned while the
 * file is there) and `tasks/<id>.running` (the host runs it: written when the
 * task starts, removed when it has ended). A backend assigns a task and
 * SIGHUPs the host, which starts what is assigned, stops what no longer is,
 * and exits, under the folder's lock, once nothing is left; a backend starts
 * a host under the same lock, so none is assigned to a host that is going.
 * A backend that changed what a running task acts on wakes that task alone
 * (`wakeTask`: a new revision in its file, then a SIGHUP): ten monitors
 * created one after another cost ten first rounds, not fifty-five.
 */
import { randomUUID } from "crypto";
import { existsSync, promises as fs, readFileSync } from "fs";
import * as path from "path";
import { readJson, writeFileAtomic } from "./files";
import { withFileLock } from "./lock";
import { isAlive, ProcessRef, processRef, signalPids, waitUntil } from "./process";

export type HostKind = "supervisor" | "watchdog";

/** Where a task writes what it says: its own log file. */
export type TaskLog = (message: string) => void;

/** What a task runs with. */
export interface TaskContext {
    log: TaskLog;
    /** Aborts when the task must stop: it was taken off the host. */
    stop: AbortSignal;
    /** Waits `ms`, or less: until its backend wakes it (`wakeTask`: it changed what the task acts on; a wake while it was busy counts) or it must stop. */
    sleep(ms: number): Promise<void>;
}

interface TaskFile {
    logFile: string;
    /** Changed by each `wakeTask`: the host wakes a task whose revision is not the one it saw. */
    revision?: string;
}

const hostDir = (dataDir: string, kind: HostKind) => path.join(dataDir, "hosts", kind);
const tasksDir = (dataDir: string, kind: HostKind) => path.join(hostDir(dataDir, kind), "tasks");
const taskFile = (dataDir: string, kind: HostKind, id: string) => path.join(tasksDir(dataDir, kind), `${id}.json`);
const runningFile = (dataDir: string, kind: HostKind, id: string) => path.join(tasksDir(dataDir, kind), `${id}.running`);
const lockFile = (dataDir: string, kind: HostKind) => path.join(hostDir(dataDir, kind), "host.lock");
const LOCK = (kind: HostKind) => ({ waitMs: 60_000, what: `the stack's ${kind} process: its lock` });

/** The host process of `kind` when it runs. */
function liveHost(dataDir: string, kind: HostKind): ProcessRef | undefined {
    try {
        const ref = JSON.parse(readFileSync(path.join(hostDir(dataDir, kind), "host.json"), "utf8")) as ProcessRef;
        return isAlive(ref) ? ref : undefined;
    } catch {
        return undefined;
    }
}

const readyFile = (dataDir: string, kind: HostKind) => path.join(hostDir(dataDir, kind), "host.ready");

/** Whether `host` handles SIGHUP yet (it writes its pid to host.ready once it does). */
function ready(dataDir: string, kind: HostKind, host: ProcessRef): boolean {
    try {
        return Number(readFileSync(readyFile(dataDir, kind), "utf8")) === host.pid;
    } catch {
        return false;
    }
}

/** The host that runs task `id`, when one does. */
export function taskHost(dataDir: string, kind: HostKind, id: string): ProcessRef | undefined {
    const host = liveHost(dataDir, kind);
    if (!host) return undefined;
    try {
        return Number(readFileSync(runningFile(dataDir, kind, id), "utf8")) === host.pid ? host : undefined;
    } catch {
        return undefined;
    }
}

/**
 * Assigns task `id` to the stack's host of `kind` (started first when none
 * runs, by `spawn`) and resolves once the host runs it; throws, with the
 * tail of the task's log, when it does not start.
 */
export async function startTask(
    dataDir: string,
    kind: HostKind,
    id: string,
    opts: { logFile: string; spawn(logFile: string): Promise<ProcessRef>; logTail(file: string): Promise<string> },
): Promise<ProcessRef> {
    await fs.mkdir(tasksDir(dataDir, kind), { recursive: true });
    const host = await withFileLock(
        lockFile(dataDir, kind),
        async () => {
            await writeFileAtomic(taskFile(dataDir, kind, id), JSON.stringify({ logFile: opts.logFile, revision: randomUUID() } satisfies TaskFile));
            const known = liveHost(dataDir, kind);
            if (known) return known;
            const ref = await opts.spawn(path.join(hostDir(dataDir, kind), "host.log"));
            await writeFileAtomic(path.join(hostDir(dataDir, kind), "host.json"), JSON.stringify(ref));
            return ref;
        },
        LOCK(kind),
    );
    // A SIGHUP before the host handles it would end the host: signal it once it says it is ready.
    await waitUntil(() => ready(dataDir, kind, host) || !isAlive(host), 60_000, 20);
    signalPids([host.pid], "SIGHUP");
    const runs = () => taskHost(dataDir, kind, id)?.pid === host.pid;
    // A task that ended at once (nothing to do) has its file removed by the host.
    await waitUntil(() => runs() || !isAlive(host) || !existsSync(taskFile(dataDir, kind, id)), 60_000, 20);
    if (!runs()) {
        throw new Error(
            `the ${kind} of ${id} did not start; the last lines of its log (${opts.logFile}):\n${await opts.logTail(opts.logFile)}\n` +
                `and of the stack's ${kind} process:\n${await opts.logTail(path.join(hostDir(dataDir, kind), "host.log"))}`,
        );
    }
    return host;
}

/**
 * Has running task `id` look again at once (its backend changed what it acts
 * on) and leaves the host's other tasks asleep. False when no host runs it.
 */
export async function wakeTask(dataDir: string, kind: HostKind, id: string): Promise<boolean> {
    const host = taskHost(dataDir, kind, id);
    const file = await readJson<TaskFile>(taskFile(dataDir, kind, id)).catch(() => undefined);
    if (!host || !file) return false;
    await writeFileAtomic(taskFile(dataDir, kind, id), JSON.stringify({ ...file, revision: randomUUID() } satisfies TaskFile));
    signalPids([host.pid], "SIGHUP");
    return true;
}

/**
 * Takes task `id` off its host and resolves once it has stopped (at once
 * when it does not run), and, when it was the host's last, once the host has
 * exited: a destroy leaves no process behind. False when the task was still
 * running after 30 s (it ends at its next look, finding what it acts on gone).
 */
export async function stopTask(dataDir: string, kind: HostKind, id: string): Promise<boolean> {
    await fs.rm(taskFile(dataDir, kind, id), { force: true });
    const host = taskHost(dataDir, kind, id);
    if (!host) return true;
    // Running a task, the host handles SIGHUP.
    signalPids([host.pid], "SIGHUP");
    if (!(await waitUntil(() => taskHost(dataDir, kind, id) === undefined, 30_000, 20))) return false;
    if ((await assignedTasks(dataDir, kind)).length === 0) await waitUntil(() => !isAlive(host), 5000, 20);
    return true;
}

/** The ids of the tasks assigned to the stack's host of `kind`. */
async function assignedTasks(dataDir: string, kind: HostKind): Promise<string[]> {
    const files = await fs.readdir(tasksDir(dataDir, kind)).catch(() => [] as string[]);
    return files.filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -".json".length));
}

/** A log that appends to `file`, each line stamped. */
function fileLog(file: string): TaskLog {
    return (message) => {
        void fs.appendFile(file, `${new Date().toISOString()} ${message}\n`).catch(() => undefined);
    };
}

/**
 * The host's side: runs `run` for every task assigned, stops the ones taken
 * off, and returns once none is left. Call it from the host's entry point.
 */
export async function serveTasks(dataDir: string, kind: HostKind, run: (id: string, ctx: TaskContext) => Promise<void>): Promise<void> {
    const me = processRef(process.pid)!;
    const running = new Map<string, { stop: AbortController; revision?: string }>();
    // Who sleeps: the host's own loop (HOST), which a SIGHUP wakes, and each task, which the loop wakes.
    // A wake that finds its sleeper busy is kept: its next sleep returns at once.
    const HOST = "";
    const sleepers = new Map<() => void, string>();
    const pending = new Set<string>();
    const wake = (of: string) => {
        const asleep = [...sleepers].filter(([, who]) => who === of);
        if (asleep.length === 0) pending.add(of);
        asleep.forEach(([wakeUp]) => wakeUp());
    };
    process.on("SIGHUP", () => wake(HOST));
    await fs.writeFile(readyFile(dataDir, kind), String(me.pid));
    const sleep = (ms: number, who: string, stop?: AbortSignal) =>
        new Promise<void>((resolve) => {
            // Aborted while it was busy: an aborted signal fires no more events.
            if (stop?.aborted || pending.delete(who)) return resolve();
            const wakeUp = () => {
                clearTimeout(timer);
                sleepers.delete(wakeUp);
                stop?.removeEventListener("abort", wakeUp);
                resolve();
            };
            const timer = setTimeout(wakeUp, ms);
            sleepers.set(wakeUp, who);
            stop?.addEventListener("abort", wakeUp);
        });
    const assigned = () => assignedTasks(dataDir, kind);
    for (;;) {
        // The stack's data folder went (a destroy, a removed stack): whatever is left has nothing to act on.
        if (!existsSync(hostDir(dataDir, kind))) return;
        const wanted = await assigned();
        for (const id of wanted) {
            const file = await readJson<TaskFile>(taskFile(dataDir, kind, id)).catch(() => undefined);
            if (!file) continue;
            const task = running.get(id);
            if (task) {
                // Its backend changed what it acts on (wakeTask): it looks again now.
                if (file.revision !== task.revision) wake(id);
                task.revision = file.revision;
                continue;
            }
            const stop = new AbortController();
            const log = fileLog(file.logFile);
            await fs.writeFile(runningFile(dataDir, kind, id), String(me.pid));
            void run(id, { log, stop: stop.signal, sleep: (ms) => sleep(ms, id, stop.signal) })
                .catch((err: Error) => log(`failed: ${err.stack ?? err}`))
                .finally(async () => {
                    running.delete(id);
                    // A task that ended on its own (its sandbox expired, its monitor was deleted) is done with.
                    if (!stop.signal.aborted) await fs.rm(taskFile(dataDir, kind, id), { force: true });
                    await fs.rm(runningFile(dataDir, kind, id), { force: true });
                    pending.delete(id);
                    wake(HOST);
                });
            running.set(id, { stop, revision: file.revision });
        }
        for (const [id, { stop }] of running) {
            if (!wanted.includes(id)) stop.abort();
        }
        if (running.size === 0 && wanted.length === 0) {
            const exit = await withFileLock(
                lockFile(dataDir, kind),
                async () => {
                    if ((await assigned()).length > 0) return false;
                    await fs.rm(path.join(hostDir(dataDir, kind), "host.json"), { force: true });
                    return true;
                },
                LOCK(kind),
            );
            if (exit) return;
        }
        await sleep(1000, HOST);
    }
}
