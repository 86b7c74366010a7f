/**
 * Storage (`/storage/v1`) as @supabase/storage-js calls it, over the local
 * buckets (providers/storage): upload (raw or multipart, upsert), update,
 * download, info, list, remove, move, copy, signed URLs and public URLs.
 * Failures answer as Supabase Storage does: HTTP 400 with the real code in
 * the body's `statusCode` (`{"statusCode":"413","code":"EntityTooLarge",…}`).
 *
 * Who may do what (Supabase leaves it to row-level policies; these are the
 * ones a new project usually writes): the service role everything; a
 * signed-in user reads and writes every bucket; anyone reads a public
 * bucket's objects; an anonymous caller writes nothing and reads no private
 * object.
 */
import { promises as fs } from "fs";
import type { IncomingMessage, ServerResponse } from "http";
import * as path from "path";
import { jwtVerify, SignJWT } from "jose";
import { BucketClient, ListOptions, ObjectInfo, StorageCode, StorageError } from "../providers/storage/api";
import type { JwtClaims } from "../providers/runtime/jwt";
import { caller, Context, readBody, readJsonBody, Reply, sendJson } from "./http";

type Code = StorageCode | "AccessDenied" | "InvalidJWT" | "InvalidSignature" | "InvalidRequest";

const CODES: Record<Code, [statusCode: string, error: string]> = {
    NoSuchKey: ["404", "not_found"],
    NoSuchBucket: ["404", "Bucket not found"],
    EntityTooLarge: ["413", "Payload too large"],
    InvalidMimeType: ["415", "invalid_mime_type"],
    ResourceAlreadyExists: ["409", "Duplicate"],
    InvalidKey: ["400", "InvalidKey"],
    AccessDenied: ["403", "Unauthorized"],
    InvalidJWT: ["400", "InvalidJWT"],
    InvalidSignature: ["400", "InvalidSignature"],
    InvalidRequest: ["400", "InvalidRequest"],
};

function failure(code: Code, message: string): Reply {
    const [statusCode, error] = CODES[code];
    return new Reply(400, { statusCode, code, error, message });
}

const denied = () => failure("AccessDenied", "new row violates row-level security policy");

/** Object paths are decoded from the URL and kept clean, as storage-js cleans them. */
function splitTarget(rest: string): { bucket: string; key: string } {
    const [bucket, ...parts] = rest.split("/");
    const key = decodeURIComponent(parts.join("/")).replace(/^\/+|\/+$/g, "").replace(/\/+/g, "/");
    return { bucket: decodeURIComponent(bucket), key };
}

async function open(ctx: Context, bucket: string, who: JwtClaims | undefined, access: "read" | "write"): Promise<BucketClient> {
    const client = await BucketClient.open(ctx.dataDir, bucket).catch((err: StorageError) => {
        throw failure(err.code, err.message);
    });
    const role = who?.role;
    if (role === "service_role" || role === "authenticated") return client;
    if (access === "write") throw denied();
    // An anonymous caller sees no private object: to it, the object is not there (row-level security hides the row).
    if (!client.rules.public) throw failure("NoSuchKey", "Object not found");
    return client;
}

function row(bucket: string, info: ObjectInfo) {
    return {
        name: info.name,
        bucket_id: bucket,
        id: info.id,
        updated_at: info.updatedAt,
        created_at: info.createdAt,
        last_accessed_at: info.updatedAt,
        metadata: metadataOf(info),
    };
}

function metadataOf(info: ObjectInfo) {
    return {
        eTag: info.eTag,
        size: info.size,
        mimetype: info.contentType,
        cacheControl: info.cacheControl,
        lastModified: info.updatedAt,
        contentLength: info.size,
        httpStatusCode: 200,
    };
}

/** The uploaded bytes, their type and metadata, from a raw or a multipart body; refused past the bucket's limit. */
async function received(req: IncomingMessage, client: BucketClient): Promise<{ data: Buffer; contentType: string; cacheControl: string; metadata: Record<string, unknown> }> {
    const limit = client.rules.fileSizeLimit;
    const type = req.headers["content-type"] ?? "text/plain;charset=UTF-8";
    const multipart = type.startsWith("multipart/form-data");
    // A multipart body carries its fields besides the file: some room above the limit, the file itself checked after.
    const body = await readBody(req, multipart ? limit + 64 * 1024 : limit, () => failure("EntityTooLarge", "The object exceeded the maximum allowed size"));
    if (!multipart) {
        const encoded = req.headers["x-metadata"];
        const metadata = typeof encoded === "string" ? (JSON.parse(Buffer.from(encoded, "base64").toString("utf8")) as Record<string, unknown>) : {};
        return { data: body, contentType: type, cacheControl: req.headers["cache-control"] ?? "no-cache", metadata };
    }
    const form = await new Request("http://gateway/", { method: "POST", headers: { "content-type": type }, body: new Uint8Array(body) }).formData().catch(() => {
        throw failure("InvalidRequest", "the multipart body could not be read");
    });
    const file = [...form.values()].find((v): v is File => typeof v !== "string");
    if (!file) throw failure("InvalidRequest", "the multipart body holds no file");
    const cache = form.get("cacheControl");
    const meta = form.get("metadata");
    const contentType = (form.get("contentType") as string | null) ?? (file.type || "application/octet-stream");
    return {
        data: Buffer.from(await file.arrayBuffer()),
        contentType,
        cacheControl: typeof cache === "string" && cache ? `max-age=${cache}` : "no-cache",
        metadata: typeof meta === "string" && meta ? (JSON.parse(meta) as Record<string, unknown>) : {},
    };
}

function sendObject(res: ServerResponse, req: IncomingMessage, url: URL, object: { data: Buffer; info: ObjectInfo }): void {
    const headers: Record<string, string | number> = {
        "content-type": object.info.contentType,
        "content-length": object.data.length,
        "cache-control": object.info.cacheControl,
        "last-modified": new Date(object.info.updatedAt).toUTCString(),
    };
    if (object.info.eTag) headers.etag = object.info.eTag;
    const download = url.searchParams.get("download");
    if (download !== null) headers["content-disposition"] = `attachment; filename="${encodeURIComponent(download || object.info.name.split("/").pop()!)}"`;
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : object.data);
}

function signUrl(ctx: Context, target: string, expiresIn: number): Promise<string> {
    return new SignJWT({ url: target }).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime(`${Math.max(1, Math.floor(expiresIn))}s`).sign(ctx.secret);
}

async function signedPath(ctx: Context, bucket: string, key: string, expiresIn: unknown): Promise<string> {
    if (typeof expiresIn !== "number" || !(expiresIn >= 1)) throw failure("InvalidRequest", "expiresIn must be a number of seconds, 1 or more");
    return `/object/sign/${bucket}/${key}?token=${await signUrl(ctx, `${bucket}/${key}`, expiresIn)}`;
}

/** Serves one storage request (`rest`: the path after /storage/v1/). */
export async function storage(ctx: Context, req: IncomingMessage, res: ServerResponse, rest: string, url: URL): Promise<void> {
    const method = req.method ?? "GET";
    // Public objects and signed URLs need no key: the URL is the grant.
    if (method === "GET" || method === "HEAD") {
        const publicPath = /^object\/public\/(.+)$/.exec(rest);
        if (publicPath) {
            const { bucket, key } = splitTarget(publicPath[1]);
            const client = await open(ctx, bucket, undefined, "read");
            return sendObject(res, req, url, await client.download(key).catch(fail));
        }
        const signed = /^object\/sign\/(.+)$/.exec(rest);
        if (signed) {
            const { bucket, key } = splitTarget(signed[1]);
            const token = url.searchParams.get("token") ?? "";
            const claims = await jwtVerify(token, ctx.secret, { algorithms: ["HS256"] }).catch((err: Error) => {
                throw failure("InvalidJWT", (err as { code?: string }).code === "ERR_JWT_EXPIRED" ? "jwt expired" : err.message);
            });
            if (claims.payload.url !== `${bucket}/${key}`) throw failure("InvalidSignature", "Invalid signature");
            const client = await BucketClient.open(ctx.dataDir, bucket).catch((err: StorageError) => {
                throw failure(err.code, err.message);
            });
            return sendObject(res, req, url, await client.download(key).catch(fail));
        }
    }
    const who = await caller(ctx, req, url, (_status, message) => failure("AccessDenied", message));
    let match: RegExpExecArray | null;
    if ((match = /^object\/(?:authenticated\/)?(?!list\/|sign\/|move$|copy$|info\/)(.+)$/.exec(rest)) && (method === "POST" || method === "PUT")) {
        const { bucket, key } = splitTarget(match[1]);
        const client = await open(ctx, bucket, who, "write");
        const declared = Number(req.headers["content-length"] ?? 0);
        if (declared > client.rules.fileSizeLimit + 64 * 1024) throw failure("EntityTooLarge", "The object exceeded the maximum allowed size");
        const upload = await received(req, client);
        const upsert = method === "PUT" || req.headers["x-upsert"] === "true";
        const info = await client.upload(key, upload.data, upload.contentType, { upsert, cacheControl: upload.cacheControl, metadata: upload.metadata }).catch(fail);
        return sendJson(res, 200, { Id: info.id, Key: `${bucket}/${key}` });
    }
    if ((match = /^object\/info\/(?:authenticated\/)?(.+)$/.exec(rest)) && method === "GET") {
        const { bucket, key } = splitTarget(match[1]);
        const info = await (await open(ctx, bucket, who, "read")).info(key).catch(fail);
        return sendJson(res, 200, { ...row(bucket, info), version: info.id, size: info.size, content_type: info.contentType, etag: info.eTag, cache_control: info.cacheControl });
    }
    if ((match = /^object\/list\/(.+)$/.exec(rest)) && method === "POST") {
        const client = await open(ctx, decodeURIComponent(match[1]), who, "read");
        const body = await readJsonBody<ListOptions & { prefix?: string }>(req);
        const listed = await client.listFolder(body.prefix ?? "", body);
        return sendJson(
            res,
            200,
            listed.map((l) =>
                l.info
                    ? { ...row(client.rules.name, l.info), name: l.name }
                    : { name: l.name, id: null, updated_at: null, created_at: null, last_accessed_at: null, metadata: null },
            ),
        );
    }
    if ((match = /^object\/sign\/([^/]+)$/.exec(rest)) && method === "POST") {
        const bucket = decodeURIComponent(match[1]);
        const client = await open(ctx, bucket, who, "read");
        const body = await readJsonBody<{ expiresIn?: number; paths?: string[] }>(req);
        const results = [];
        for (const key of body.paths ?? []) {
            const exists = await client.info(key).then(() => true, () => false);
            results.push(
                exists
                    ? { error: null, path: key, signedURL: await signedPath(ctx, bucket, key, body.expiresIn) }
                    : { error: "Either the object does not exist or you do not have access to it", path: key, signedURL: null },
            );
        }
        return sendJson(res, 200, results);
    }
    if ((match = /^object\/sign\/(.+)$/.exec(rest)) && method === "POST") {
        const { bucket, key } = splitTarget(match[1]);
        await (await open(ctx, bucket, who, "read")).info(key).catch(fail);
        const body = await readJsonBody<{ expiresIn?: number }>(req);
        return sendJson(res, 200, { signedURL: await signedPath(ctx, bucket, key, body.expiresIn) });
    }
    if ((rest === "object/move" || rest === "object/copy") && method === "POST") {
        const body = await readJsonBody<{ bucketId?: string; sourceKey?: string; destinationKey?: string; destinationBucket?: string }>(req);
        if (!body.bucketId || !body.sourceKey || !body.destinationKey) throw failure("InvalidRequest", "bucketId, sourceKey and destinationKey are required");
        const source = await open(ctx, body.bucketId, who, "write");
        const target = body.destinationBucket ? await open(ctx, body.destinationBucket, who, "write") : source;
        const info = await (rest === "object/move" ? source.move(body.sourceKey, body.destinationKey, target) : source.copy(body.sourceKey, body.destinationKey, target)).catch(fail);
        const Key = `${target.rules.name}/${body.destinationKey}`;
        return sendJson(res, 200, rest === "object/move" ? { message: "Successfully moved", Id: info.id, Key } : { Id: info.id, Key, ...row(target.rules.name, info) });
    }
    if ((match = /^object\/([^/]+)$/.exec(rest)) && method === "DELETE") {
        const bucket = decodeURIComponent(match[1]);
        const client = await open(ctx, bucket, who, "write");
        const body = await readJsonBody<{ prefixes?: string[] }>(req);
        return sendJson(res, 200, (await client.remove(body.prefixes ?? [])).map((info) => row(bucket, info)));
    }
    if ((match = /^object\/(?:authenticated\/)?(.+)$/.exec(rest)) && (method === "GET" || method === "HEAD")) {
        const { bucket, key } = splitTarget(match[1]);
        const client = await open(ctx, bucket, who, "read");
        return sendObject(res, req, url, await client.download(key).catch(fail));
    }
    if (/^bucket\/?$/.test(rest) && method === "GET") return sendJson(res, 200, await buckets(ctx, who));
    if ((match = /^bucket\/([^/]+)$/.exec(rest)) && method === "GET") {
        const found = (await buckets(ctx, who)).find((b) => b.id === decodeURIComponent(match![1]));
        if (!found) throw failure("NoSuchBucket", "Bucket not found");
        return sendJson(res, 200, found);
    }
    if (rest.startsWith("bucket")) throw failure("AccessDenied", "buckets are StorageBucket resources here: add, change or remove them in the Pulumi program");
    throw new Reply(404, { statusCode: "404", error: "Not Found", message: `no storage route ${method} /storage/v1/${rest}` });
}

function fail(err: unknown): never {
    if (err instanceof StorageError) throw failure(err.code, err.message);
    throw err;
}

async function buckets(ctx: Context, who: JwtClaims) {
    const names = await fs.readdir(path.join(ctx.dataDir, "storage")).catch(() => [] as string[]);
    const out = [];
    for (const name of names) {
        const client = await BucketClient.open(ctx.dataDir, name).catch(() => undefined);
        if (!client || (who.role === "anon" && !client.rules.public)) continue;
        const { public: isPublic, fileSizeLimit, allowedMimeTypes } = client.rules;
        out.push({ id: name, name, owner: "", public: isPublic, file_size_limit: fileSizeLimit, allowed_mime_types: allowedMimeTypes.length ? allowedMimeTypes : null, created_at: "", updated_at: "" });
    }
    return out;
}
