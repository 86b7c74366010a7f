/**
 * The supervisors of a stack's local sandboxes: one detached process per
 * stack (`node supervisor.ts <dataDir>`, started by the backend through
 * ../runtime/task-host) that outlives the `pulumi` run and supervises each
 * sandbox assigned to it. Its supervising a sandbox is what makes the
 * sandbox alive. Once a second, and at once on SIGHUP (the backend changed
 * sandbox.json), it applies each sandbox's timeout; it stops supervising a
 * sandbox when the sandbox is deleted, and exits when none is left.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { serveTasks, TaskContext, TaskLog } from "../runtime/task-host";
import { meterUsage } from "./metering";
import { killProcesses, signalProcesses } from "./processes";
import { isPaused, readRecord, SandboxRecord, sandboxDir, setPaused } from "./record";

/** How often a billed sandbox's running time is charged. */
const METER_EVERY_MS = 60_000;

/** What the supervisor does about the clock. */
export type TimeoutAction = "none" | "kill" | "pause" | "resume";

/** Pure, for the unit tests: past endAt a running sandbox is killed or paused; a paused one given time again resumes. */
export function timeoutAction(record: Pick<SandboxRecord, "endAt" | "onTimeout">, paused: boolean, now: number): TimeoutAction {
    const expired = now >= Date.parse(record.endAt);
    if (paused) return expired ? "none" : "resume";
    if (!expired) return "none";
    return record.onTimeout === "pause" ? "pause" : "kill";
}

/** One look at the sandbox; true when there is nothing left to supervise. */
async function tick(dir: string, log: TaskLog, meter: { at: number }): Promise<boolean> {
    const record = await readRecord(dir);
    // Deleted, or (after a crash and adoption) another supervisor took over.
    if (!record || (record.supervisor && record.supervisor.pid !== process.pid)) {
        log("sandbox deleted; exiting");
        return true;
    }
    const paused = await isPaused(dir);
    if (record.billing && !paused && Date.now() - meter.at >= METER_EVERY_MS) {
        // <dataDir>/sandboxes/<id>: the ledger lives in the stack's database.
        meter.at = Date.now();
        await meterUsage(path.dirname(path.dirname(dir)), record);
    }
    const action = timeoutAction(record, paused, Date.now());
    if (action === "kill") {
        log(`timeout reached at ${record.endAt}: killing the sandbox`);
        try {
            await killProcesses(dir, record.id);
        } finally {
            // Like E2B: a killed sandbox is gone, its files with it.
            await fs.rm(dir, { recursive: true, force: true });
        }
        return true;
    }
    if (action === "pause") {
        log(`timeout reached at ${record.endAt}: pausing the sandbox`);
        signalProcesses(dir, record.id, "SIGSTOP");
        await setPaused(dir, true);
    } else if (action === "resume") {
        log(`timeout extended to ${record.endAt}: resuming the sandbox`);
        signalProcesses(dir, record.id, "SIGCONT");
        await setPaused(dir, false);
    }
    return false;
}

/** Supervises the sandbox in `dir` until it is deleted, killed at its timeout, or taken off this process. */
export async function supervise(dir: string, { log, stop, sleep }: TaskContext): Promise<void> {
    // The first meter a period after the start, not at once: no meter (nor the refill it may
    // trigger) runs inside the `up` that starts the sandbox, so that up's balance output holds.
    const meter = { at: Date.now() };
    log(`supervising ${dir}`);
    while (!stop.aborted) {
        try {
            if (await tick(dir, log, meter)) return;
        } catch (err) {
            // A supervisor that dies takes its sandbox with it: a passing fault (a full disk) must not.
            log(`tick failed, retrying: ${(err as Error).stack ?? err}`);
        }
        await sleep(1000);
    }
}

if (require.main === module) {
    const dataDir = process.argv[2];
    serveTasks(dataDir, "supervisor", (id, ctx) => supervise(sandboxDir(dataDir, id), ctx)).then(
        () => process.exit(0),
        (err) => {
            console.log(`${new Date().toISOString()} failed: ${(err as Error).stack ?? err}`);
            process.exit(1);
        },
    );
}
