/** File helpers the local backends share. */
import { promises as fs } from "fs";

/**
 * Writes `file` so that a reader (or a crash) never sees it half-written:
 * a temporary file beside it, then a rename. `mode` 0o600 keeps secrets
 * readable by their owner only.
 */
export async function writeFileAtomic(file: string, data: string, mode = 0o644): Promise<void> {
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, data, { mode });
    await fs.rename(tmp, file);
}

/** A JSON file's content, or undefined when the file does not exist. */
export async function readJson<T>(file: string): Promise<T | undefined> {
    try {
        return JSON.parse(await fs.readFile(file, "utf8")) as T;
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
    }
}
