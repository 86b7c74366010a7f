/**
 * A lock between processes on one machine: a file created exclusively,
 * holding its holder's pid and start time. A holder that died (a killed run,
 * a reboot) leaves its file behind; the next taker sees it dead and takes over.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { readJson } from "./files";
import { isAlive, processRef, ProcessRef, waitUntil } from "./process";

/** Runs `fn` holding the lock `file`, waiting up to `waitMs` for another holder; `what` names the lock in the error. */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, opts: { waitMs: number; what: string }): Promise<T> {
    const me = processRef(process.pid)!;
    await fs.mkdir(path.dirname(file), { recursive: true });
    let holder: ProcessRef | undefined;
    const acquired = await waitUntil(
        async () => {
            try {
                await fs.writeFile(file, JSON.stringify(me), { flag: "wx" });
                return true;
            } catch (err) {
                if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
                holder = await readJson<ProcessRef>(file).catch(() => undefined);
                if (holder && !isAlive(holder)) await fs.rm(file, { force: true });
                return false;
            }
        },
        opts.waitMs,
        // Held for moments (a file written, a process spawned), by the
        // provider's own parallel steps as often as by another process.
        20,
    );
    if (!acquired) throw new Error(`${opts.what} is held by process ${holder?.pid} (lock ${file}); try again when it is done`);
    try {
        return await fn();
    } finally {
        await fs.rm(file, { force: true });
    }
}
