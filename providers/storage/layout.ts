/** Where a local bucket keeps its rules and objects; shared by the backend and the client. */
import { promises as fs } from "fs";
import * as path from "path";
import type { Inputs } from "./resource";

/** The rules a local bucket enforces, as stored in its `bucket.json`. */
export type BucketRules = Pick<Inputs, "name" | "public" | "fileSizeLimit" | "allowedMimeTypes" | "tags">;

export function bucketDir(dataDir: string, name: string): string {
    return path.join(dataDir, "storage", name);
}

export async function readRules(dir: string): Promise<BucketRules | undefined> {
    try {
        return JSON.parse(await fs.readFile(path.join(dir, "bucket.json"), "utf8")) as BucketRules;
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
    }
}

export async function writeRules(dir: string, inputs: BucketRules): Promise<void> {
    const { name, public: isPublic, fileSizeLimit, allowedMimeTypes, tags } = inputs;
    const rules: BucketRules = { name, public: isPublic, fileSizeLimit, allowedMimeTypes, tags };
    // Write then rename, so a crash never leaves a half-written rules file.
    const tmp = path.join(dir, `bucket.json.${process.pid}`);
    await fs.writeFile(tmp, JSON.stringify(rules, null, 2));
    await fs.rename(tmp, path.join(dir, "bucket.json"));
}

export async function countObjects(dir: string): Promise<number> {
    try {
        const entries = await fs.readdir(path.join(dir, "objects"), { recursive: true, withFileTypes: true });
        return entries.filter((e) => e.isFile()).length;
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
        throw err;
    }
}
