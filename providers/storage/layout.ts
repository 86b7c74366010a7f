/** Where a local bucket keeps its rules and objects; shared by the backend and the client. */
import { promises as fs } from "fs";
import * as path from "path";
import { readJson, writeFileAtomic } from "../runtime/files";
import type { Inputs } from "./schema";

/** The rules a local bucket enforces, as stored in its `bucket.json`. */
export type BucketRules = Pick<Inputs, "name" | "public" | "fileSizeLimit" | "allowedMimeTypes" | "tags">;

export function bucketDir(dataDir: string, name: string): string {
    return path.join(dataDir, "storage", name);
}

export function readRules(dir: string): Promise<BucketRules | undefined> {
    return readJson<BucketRules>(path.join(dir, "bucket.json"));
}

export async function writeRules(dir: string, inputs: BucketRules): Promise<void> {
    const { name, public: isPublic, fileSizeLimit, allowedMimeTypes, tags } = inputs;
    const rules: BucketRules = { name, public: isPublic, fileSizeLimit, allowedMimeTypes, tags };
    await writeFileAtomic(path.join(dir, "bucket.json"), JSON.stringify(rules, null, 2));
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
