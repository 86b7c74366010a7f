/**
 * A local bucket's objects, kept as Supabase Storage keeps them and with its
 * rules: an object larger than `fileSizeLimit` or of a MIME type outside
 * `allowedMimeTypes` is refused, an existing one is replaced only on upsert,
 * and nothing escapes the bucket's folder. Each failure carries Supabase's
 * error code, so the gateway (gateway/storage.ts) answers as Supabase does.
 * Objects live in `objects/`, their metadata in `meta/<path>.json`.
 */
import { createHash, randomUUID } from "crypto";
import { promises as fs } from "fs";
import * as path from "path";
import { BucketRules, bucketDir, readRules } from "./layout";

/** Supabase Storage's error codes, for the failures a local bucket has. */
export type StorageCode = "NoSuchBucket" | "NoSuchKey" | "EntityTooLarge" | "InvalidMimeType" | "ResourceAlreadyExists" | "InvalidKey";

export class StorageError extends Error {
    constructor(
        message: string,
        readonly code: StorageCode = "InvalidKey",
    ) {
        super(message);
    }
}

/** What is known of an object besides its bytes. */
export interface ObjectInfo {
    id: string;
    name: string;
    contentType: string;
    size: number;
    cacheControl: string;
    eTag: string;
    metadata: Record<string, unknown>;
    createdAt: string;
    updatedAt: string;
}

export interface UploadOptions {
    upsert?: boolean;
    cacheControl?: string;
    metadata?: Record<string, unknown>;
}

/** One entry of a listing: an object, or a folder (no info). */
export type Listed = { name: string; info?: ObjectInfo };

export interface ListOptions {
    limit?: number;
    offset?: number;
    search?: string;
    sortBy?: { column?: string; order?: string };
}

export class BucketClient {
    private constructor(
        private readonly dir: string,
        readonly rules: BucketRules,
    ) {}

    /** Opens the bucket `name` of the stack whose data folder is `dataDir`. */
    static async open(dataDir: string, name: string): Promise<BucketClient> {
        // A name from a URL: only a bucket's own shape, never a path out of the storage folder.
        if (!/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/.test(name)) throw new StorageError("Bucket not found", "NoSuchBucket");
        const rules = await readRules(bucketDir(dataDir, name));
        if (!rules) throw new StorageError("Bucket not found", "NoSuchBucket");
        return new BucketClient(bucketDir(dataDir, name), rules);
    }

    /** Refuses what the bucket's rules refuse, before any byte is written. */
    admit(size: number, contentType: string): void {
        if (size > this.rules.fileSizeLimit) throw new StorageError("The object exceeded the maximum allowed size", "EntityTooLarge");
        if (!mimeAllowed(contentType, this.rules.allowedMimeTypes)) throw new StorageError(`mime type ${contentType} is not supported`, "InvalidMimeType");
    }

    async upload(objectPath: string, data: Buffer | string, contentType: string, opts: UploadOptions = {}): Promise<ObjectInfo> {
        const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
        this.admit(bytes.length, contentType);
        const previous = await this.info(objectPath).catch(() => undefined);
        if (previous && !opts.upsert) throw new StorageError("The resource already exists", "ResourceAlreadyExists");
        const now = new Date().toISOString();
        const info: ObjectInfo = {
            id: previous?.id ?? randomUUID(),
            name: objectPath,
            contentType,
            size: bytes.length,
            cacheControl: opts.cacheControl ?? "no-cache",
            eTag: `"${createHash("md5").update(bytes).digest("hex")}"`,
            metadata: opts.metadata ?? {},
            createdAt: previous?.createdAt ?? now,
            updatedAt: now,
        };
        await write(this.objectFile(objectPath), bytes);
        await write(this.metaFile(objectPath), JSON.stringify(info));
        return info;
    }

    async info(objectPath: string): Promise<ObjectInfo> {
        try {
            const stored = JSON.parse(await fs.readFile(this.metaFile(objectPath), "utf8")) as Partial<ObjectInfo>;
            const stat = await fs.stat(this.objectFile(objectPath));
            const at = stat.mtime.toISOString();
            // Objects written by older versions kept only the type and size.
            return { id: "", cacheControl: "no-cache", eTag: "", metadata: {}, createdAt: at, updatedAt: at, ...stored, name: objectPath } as ObjectInfo;
        } catch (err) {
            if (err instanceof StorageError) throw err;
            throw new StorageError("Object not found", "NoSuchKey");
        }
    }

    async download(objectPath: string): Promise<{ data: Buffer; contentType: string; info: ObjectInfo }> {
        const info = await this.info(objectPath);
        return { data: await fs.readFile(this.objectFile(objectPath)), contentType: info.contentType, info };
    }

    /** Every object path in the bucket, sorted. */
    async list(): Promise<string[]> {
        const root = path.join(this.dir, "objects");
        const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
        return entries
            .filter((e) => e.isFile())
            .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
            .sort();
    }

    /** The folder `prefix`'s entries, as Supabase lists them: folders first, then objects, each sorted. */
    async listFolder(prefix: string, opts: ListOptions = {}): Promise<Listed[]> {
        const folder = prefix.replace(/^\/+|\/+$/g, "");
        const dir = folder ? this.objectFile(folder) : path.join(this.dir, "objects");
        const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
        const search = (opts.search ?? "").toLowerCase();
        const chosen = entries.filter((e) => e.name.toLowerCase().startsWith(search));
        const folders: Listed[] = chosen.filter((e) => e.isDirectory()).map((e) => ({ name: e.name }));
        const objects: Listed[] = [];
        for (const e of chosen.filter((x) => x.isFile())) {
            objects.push({ name: e.name, info: await this.info(folder ? `${folder}/${e.name}` : e.name) });
        }
        const column = opts.sortBy?.column ?? "name";
        const key = (l: Listed) => (column === "created_at" ? l.info?.createdAt : column === "updated_at" ? l.info?.updatedAt : l.name) ?? "";
        const order = opts.sortBy?.order?.toLowerCase() === "desc" ? -1 : 1;
        const sort = (a: Listed, b: Listed) => (key(a) < key(b) ? -order : key(a) > key(b) ? order : 0);
        const offset = opts.offset ?? 0;
        return [...folders.sort(sort), ...objects.sort(sort)].slice(offset, offset + (opts.limit ?? 100));
    }

    /** Removes the objects named; those that are not there are skipped. Returns those removed. */
    async remove(objectPaths: readonly string[]): Promise<ObjectInfo[]> {
        const removed: ObjectInfo[] = [];
        for (const objectPath of objectPaths) {
            const info = await this.info(objectPath).catch(() => undefined);
            if (!info) continue;
            await fs.rm(this.objectFile(objectPath), { force: true });
            await fs.rm(this.metaFile(objectPath), { force: true });
            await removeEmptyParents(path.dirname(this.objectFile(objectPath)), path.join(this.dir, "objects"));
            removed.push(info);
        }
        return removed;
    }

    /** Copies an object to `to` in `target` (this bucket by default); an existing one is not replaced. */
    async copy(from: string, to: string, target: BucketClient = this): Promise<ObjectInfo> {
        const { data, info } = await this.download(from);
        return target.upload(to, data, info.contentType, { cacheControl: info.cacheControl, metadata: info.metadata });
    }

    async move(from: string, to: string, target: BucketClient = this): Promise<ObjectInfo> {
        const moved = await this.copy(from, to, target);
        await this.remove([from]);
        return moved;
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
        if (!file.startsWith(root + path.sep)) throw new StorageError(`Invalid key: ${objectPath}`, "InvalidKey");
        return file;
    }
}

async function write(file: string, data: Buffer | string): Promise<void> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, data);
}

/** Supabase has no folders, only prefixes: a folder goes with its last object. */
async function removeEmptyParents(dir: string, root: string): Promise<void> {
    for (let d = dir; d.startsWith(root + path.sep); d = path.dirname(d)) {
        if ((await fs.readdir(d).catch(() => ["?"])).length > 0) return;
        await fs.rmdir(d).catch(() => undefined);
    }
}

export function mimeAllowed(contentType: string, allowed: readonly string[]): boolean {
    if (allowed.length === 0) return true;
    const [type] = contentType.split(";")[0].trim().split("/");
    const bare = contentType.split(";")[0].trim();
    return allowed.some((a) => a === bare || a === `${type}/*`);
}
