/**
 * The supervisor of one local sandbox: a detached process, started by the
 * backend (`spawnTypeScriptProcess`) as `node supervisor.ts <sandboxDir>`, that outlives the `pulumi` run. Its being alive is what
 * makes the sandbox alive. Once a second, and at once on SIGHUP (the
 * backend changed sandbox.json), it applies the sandbox's timeout; it exits
 * when the sandbox is deleted.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { meterUsage } from "./metering";
import { killProcesses, signalProcesses } from "./processes";
import { isPaused, readRecord, readyFile, SandboxRecord, setPaused } from "./record";

/** How often a billed sandbox's running time is charged. */
const METER_EVERY_MS = 60_000;
// The first meter a period after the start, not at once: no meter (nor the refill it may
// trigger) runs inside the `up` that starts the sandbox, so that up's balance output holds.
let meteredAt = Date.now();

/** What the supervisor does about the clock. */
export type TimeoutAction = "none" | "kill" | "pause" | "resume";

/** Pure, for the unit tests: past endAt a running sandbox is killed or paused; a paused one given time again resumes. */
export function timeoutAction(record: Pick<SandboxRecord, "endAt" | "onTimeout">, paused: boolean, now: number): TimeoutAction {
    const expired = now >= Date.parse(record.endAt);
    if (paused) return expired ? "none" : "resume";
    if (!expired) return "none";
    return record.onTimeout === "pause" ? "pause" : "kill";
}

function log(message: string): void {
    console.log(`${new Date().toISOString()} ${message}`);
}

/** One look at the sandbox; true when there is nothing left to supervise. */
async function tick(dir: string): Promise<boolean> {
    const record = await readRecord(dir);
    // Deleted, or (after a crash and adoption) another supervisor took over.
    if (!record || (record.supervisor && record.supervisor.pid !== process.pid)) {
        log("sandbox deleted; exiting");
        return true;
    }
    const paused = await isPaused(dir);
    if (record.billing && !paused && Date.now() - meteredAt >= METER_EVERY_MS) {
        // <dataDir>/sandboxes/<id>: the ledger lives in the stack's database.
        meteredAt = Date.now();
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

/** Supervises the sandbox in `dir` until it is deleted or killed at its timeout. */
export async function supervise(dir: string): Promise<void> {
    let wake = () => {};
    // Without a handler SIGHUP would end the process: install it before announcing readiness.
    process.on("SIGHUP", () => wake());
    await fs.writeFile(readyFile(dir), String(process.pid));
    log(`supervising ${dir}`);
    for (;;) {
        try {
            if (await tick(dir)) return;
        } catch (err) {
            // A supervisor that dies takes its sandbox with it: a passing fault (a full disk) must not.
            log(`tick failed, retrying: ${(err as Error).stack ?? err}`);
        }
        await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 1000);
            wake = () => {
                clearTimeout(timer);
                resolve();
            };
        });
    }
}

if (require.main === module) {
    supervise(process.argv[2]).then(
        () => process.exit(0),
        (err) => {
            log(`failed: ${(err as Error).stack ?? err}`);
            process.exit(1);
        },
    );
}
