/** What every route of the gateway shares: its context, JSON replies, bodies, CORS and who is calling. */
import type { IncomingMessage, ServerResponse } from "http";
import type { Pool } from "pg";
import { JwtClaims, verifyJwt } from "../providers/runtime/jwt";

/** What the routes are given. */
export interface Context {
    dataDir: string;
    secret: Uint8Array;
    pool: Pool;
}

/** A reply the route chose to give: its status and JSON body. */
export class Reply extends Error {
    constructor(
        readonly status: number,
        readonly body: unknown,
    ) {
        super(typeof body === "object" && body && "message" in body ? String((body as { message: unknown }).message) : `HTTP ${status}`);
    }
}

/** Browsers call the gateway from the app's own origin: every origin may, with the headers supabase-js sends. */
export function cors(res: ServerResponse): void {
    res.setHeader("access-control-allow-origin", "*");
    res.setHeader("access-control-allow-methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    res.setHeader(
        "access-control-allow-headers",
        "authorization, apikey, content-type, x-client-info, x-upsert, x-metadata, cache-control, x-supabase-api-version, range, accept-profile, content-profile, prefer",
    );
    res.setHeader("access-control-expose-headers", "content-length, content-range, x-supabase-api-version, etag");
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
    res.end(text);
}

/** The request's body, refused with `tooLarge` past `limit` bytes (the rest is not read into memory). */
export async function readBody(req: IncomingMessage, limit: number, tooLarge: () => Reply): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > limit) {
            req.resume();
            throw tooLarge();
        }
        chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
}

export async function readJsonBody<T>(req: IncomingMessage): Promise<T> {
    const body = await readBody(req, 1024 * 1024, () => new Reply(413, { message: "request body too large" }));
    if (body.length === 0) return {} as T;
    try {
        return JSON.parse(body.toString("utf8")) as T;
    } catch {
        throw new Reply(400, { message: "the request body is not JSON" });
    }
}

/** The bearer token of a request: its Authorization header, else its apikey (header or query, as Supabase's gateway takes it). */
export function tokenOf(req: IncomingMessage, url: URL): string | undefined {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const apikey = req.headers.apikey;
    return bearer ?? (typeof apikey === "string" ? apikey : undefined) ?? url.searchParams.get("apikey") ?? undefined;
}

/**
 * Who calls: the claims of the request's token. No token is a 401 and a bad
 * one a 401 naming why, each in the body shape of the API asked (`fail`).
 */
export async function caller(ctx: Context, req: IncomingMessage, url: URL, fail: (status: number, message: string) => Reply): Promise<JwtClaims> {
    const token = tokenOf(req, url);
    if (!token) throw fail(401, "No API key found in request");
    const verified = await verifyJwt(ctx.secret, token);
    if ("error" in verified) throw fail(401, verified.error);
    return verified.claims;
}
