/**
 * The storage client applications and tools use for a local bucket. It
 * enforces the bucket's rules the way Supabase Storage does: objects larger
 * than `fileSizeLimit` or of a MIME type outside `allowedMimeTypes` are
 * refused, and nothing escapes the bucket's folder.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { BucketRules, bucketDir, readRules } from "./layout";

export class StorageError extends Error {}

export class BucketClient {
    private constructor(
        private readonly dir: string,
        readonly rules: BucketRules,
    ) {}

    /** Opens the bucket `name` of the stack whose data folder is `dataDir`. */
    static async open(dataDir: string, name: string): Promise<BucketClient> {
        const dir = bucketDir(dataDir, name);
        const rules = await readRules(dir);
        if (!rules) throw new StorageError(`bucket ${name} does not exist`);
        return new BucketClient(dir, rules);
    }

    async upload(objectPath: string, data: Buffer | string, contentType: string): Promise<void> {
        const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
        if (bytes.length > this.rules.fileSizeLimit) {
            throw new StorageError(
                `${objectPath} is ${bytes.length} bytes; bucket ${this.rules.name} accepts at most ${this.rules.fileSizeLimit}`,
            );
        }
        if (!mimeAllowed(contentType, this.rules.allowedMimeTypes)) {
            throw new StorageError(
                `${objectPath} is ${contentType}; bucket ${this.rules.name} accepts only ${this.rules.allowedMimeTypes.join(", ")}`,
            );
        }
        const file = this.objectFile(objectPath);
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.writeFile(file, bytes);
        const meta = this.metaFile(objectPath);
        await fs.mkdir(path.dirname(meta), { recursive: true });
        await fs.writeFile(meta, JSON.stringify({ contentType, size: bytes.length }));
    }

    async download(objectPath: string): Promise<{ data: Buffer; contentType: string }> {
        const data = await fs.readFile(this.objectFile(objectPath));
        const meta = JSON.parse(await fs.readFile(this.metaFile(objectPath), "utf8")) as { contentType: string };
        return { data, contentType: meta.contentType };
    }

    /** Object paths in the bucket, sorted. */
    async list(): Promise<string[]> {
        const root = path.join(this.dir, "objects");
        const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
        return entries
            .filter((e) => e.isFile())
            .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
            .sort();
    }

    async remove(objectPath: string): Promise<void> {
        await fs.rm(this.objectFile(objectPath), { force: true });
        await fs.rm(this.metaFile(objectPath), { force: true });
    }

    private objectFile(objectPath: string): string {
        return this.inside("objects", objectPath);
    }

    private metaFile(objectPath: string): string {
        return this.inside("meta", objectPath) + ".json";
    }

    private inside(area: string, objectPath: string): string {
        const root = path.join(this.dir, area);
        const file = path.resolve(root, objectPath);
        if (!file.startsWith(root + path.sep)) throw new StorageError(`${objectPath} is not a path inside the bucket`);
        return file;
    }
}

export function mimeAllowed(contentType: string, allowed: readonly string[]): boolean {
    if (allowed.length === 0) return true;
    const [type] = contentType.split("/");
    return allowed.some((a) => a === contentType || a === `${type}/*`);
}
