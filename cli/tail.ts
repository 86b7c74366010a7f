/**
 * Reading logs as `tail` does: the last lines of a file, and the lines
 * appended to it afterwards. The deployment library's `logTail` returns a
 * fixed 40 lines for error messages; a user asks for any number, and follows.
 */
import { promises as fs } from "fs";

const CHUNK = 64 * 1024;

/** The last `count` lines of `file` and its size then; none when the file does not exist (yet). */
export async function lastLines(file: string, count: number): Promise<{ lines: string[]; size: number }> {
    let handle: fs.FileHandle;
    try {
        handle = await fs.open(file, "r");
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return { lines: [], size: 0 };
        throw err;
    }
    try {
        const { size } = await handle.stat();
        // Read backwards a chunk at a time until the text holds enough lines.
        let start = size;
        let text = "";
        while (start > 0 && text.split("\n").length <= count + 1) {
            const from = Math.max(0, start - CHUNK);
            const buffer = Buffer.alloc(start - from);
            await handle.read(buffer, 0, buffer.length, from);
            text = buffer.toString("utf8") + text;
            start = from;
        }
        const lines = text.replace(/\n$/, "").split("\n");
        return { lines: text === "" ? [] : lines.slice(-count), size };
    } finally {
        await handle.close();
    }
}

/** A file being followed: where reading stopped, and a line not finished yet. */
export interface Follower {
    file: string;
    offset: number;
    partial: string;
}

/**
 * The complete lines appended to a followed file since the last call. A
 * file that shrank was truncated or replaced: it is read again from the start.
 */
export async function newLines(f: Follower): Promise<string[]> {
    const size = (await fs.stat(f.file).catch(() => undefined))?.size ?? 0;
    if (size < f.offset) {
        f.offset = 0;
        f.partial = "";
    }
    if (size === f.offset) return [];
    const handle = await fs.open(f.file, "r");
    try {
        const buffer = Buffer.alloc(size - f.offset);
        await handle.read(buffer, 0, buffer.length, f.offset);
        f.offset = size;
        const text = f.partial + buffer.toString("utf8");
        const lines = text.split("\n");
        f.partial = lines.pop() ?? "";
        return lines;
    } finally {
        await handle.close();
    }
}

/** Resolves on the first SIGINT or SIGTERM (Ctrl-C ends `--follow` with exit 0). */
export function untilInterrupted(): Promise<void> {
    return new Promise((resolve) => {
        const stop = () => {
            process.off("SIGINT", stop);
            process.off("SIGTERM", stop);
            resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
    });
}
