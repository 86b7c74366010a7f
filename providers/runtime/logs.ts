/** What the platform's processes (apps, watchdogs, supervisors) wrote last: for error messages and tools. */
import { promises as fs } from "fs";

/** Lines of a log quoted in an error. */
export const TAIL_LINES = 40;

/** The last `lines` lines (default TAIL_LINES) of `file` written after byte `from` ("" when there is no file). */
export async function logTail(file: string, from = 0, lines = TAIL_LINES): Promise<string> {
    let handle: fs.FileHandle;
    try {
        handle = await fs.open(file, "r");
    } catch {
        return "";
    }
    try {
        const { size } = await handle.stat();
        const start = Math.max(from, size - 64 * 1024);
        const buffer = Buffer.alloc(size - start);
        await handle.read(buffer, 0, buffer.length, start);
        return buffer.toString("utf8").replace(/\n$/, "").split("\n").slice(-lines).join("\n");
    } finally {
        await handle.close();
    }
}

