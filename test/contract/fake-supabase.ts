/**
 * Supabase as supabase-js sees it, in memory: the Storage bucket API and the
 * Auth admin users API, served through a FakeHttp `fetch`. Errors come in
 * the bodies each service really sends (Storage: `{statusCode, error,
 * message}`, sometimes with HTTP 400 for a 404; Auth: `{code, msg}`).
 */
import { randomUUID } from "crypto";
import { FakeHttp, json, Recorded } from "./fake-http";

export interface FakeBucket {
    id: string;
    name: string;
    public: boolean;
    file_size_limit: number | null;
    allowed_mime_types: string[] | null;
    objects: string[];
}

export interface FakeUser {
    id: string;
    email: string;
    user_metadata: Record<string, string>;
    created_at: string;
    password: string;
}

/** Storage's answer for a missing bucket; older Storage versions send it with HTTP 400. */
export function bucketNotFound(status = 400): Response {
    return json(status, { statusCode: "404", error: "Bucket not found", message: "Bucket not found" });
}

/** Auth's error body (API version 2024-01-01 puts the code in `code`). */
export function authError(status: number, code: string, msg: string): Response {
    return json(status, { code, msg, error_code: code }, { "x-supabase-api-version": "2024-01-01" });
}

export class FakeSupabase {
    readonly http = new FakeHttp();
    readonly buckets = new Map<string, FakeBucket>();
    readonly users = new Map<string, FakeUser>();
    /**
     * The project's global file size limit: 50 MB on the Free plan. A bucket
     * asking for more is refused as Storage does (storage-api's
     * Storage.validateMaxSizeLimit throws ERRORS.EntityTooLarge: "Payload too
     * large", 413, "The object exceeded the maximum allowed size"), sent with
     * HTTP 400 and the code in the body's statusCode, like its other errors.
     */
    globalFileSizeLimit = 50 * 1024 * 1024;

    private tooLarge(body: { file_size_limit?: number | null }): Response | undefined {
        if (!body.file_size_limit || body.file_size_limit <= this.globalFileSizeLimit) return undefined;
        return json(400, { statusCode: "413", error: "Payload too large", message: "The object exceeded the maximum allowed size" });
    }

    constructor() {
        const h = this.http;
        h.on("GET", /^\/storage\/v1\/bucket\/([^/]+)$/, (_req, m) => {
            const bucket = this.buckets.get(m[1]);
            return bucket ? json(200, this.bucketJson(bucket)) : bucketNotFound();
        });
        h.on("POST", /^\/storage\/v1\/bucket$/, (req) => {
            const body = req.json();
            const refused = this.tooLarge(body);
            if (refused) return refused;
            if (this.buckets.has(body.id)) return json(400, { statusCode: "409", error: "Duplicate", message: "The resource already exists" });
            this.buckets.set(body.id, { id: body.id, name: body.name, objects: [], ...this.settings(body) });
            return json(200, { name: body.id });
        });
        h.on("PUT", /^\/storage\/v1\/bucket\/([^/]+)$/, (req, m) => {
            const bucket = this.buckets.get(m[1]);
            if (!bucket) return bucketNotFound();
            const refused = this.tooLarge(req.json());
            if (refused) return refused;
            Object.assign(bucket, this.settings(req.json()));
            return json(200, { message: "Successfully updated" });
        });
        h.on("POST", /^\/storage\/v1\/bucket\/([^/]+)\/empty$/, (_req, m) => {
            const bucket = this.buckets.get(m[1]);
            if (!bucket) return bucketNotFound();
            bucket.objects = [];
            return json(200, { message: "Successfully emptied" });
        });
        h.on("DELETE", /^\/storage\/v1\/bucket\/([^/]+)$/, (_req, m) => {
            const bucket = this.buckets.get(m[1]);
            if (!bucket) return bucketNotFound();
            if (bucket.objects.length > 0) return json(400, { statusCode: "409", error: "InvalidRequest", message: "The bucket you tried to delete is not empty" });
            this.buckets.delete(m[1]);
            return json(200, { message: "Successfully deleted" });
        });
        h.on("POST", /^\/storage\/v1\/object\/list\/([^/]+)$/, (req, m) => {
            const bucket = this.buckets.get(m[1]);
            if (!bucket) return bucketNotFound();
            const limit = req.json().limit ?? 100;
            return json(200, bucket.objects.slice(0, limit).map((name) => ({ name, id: randomUUID(), metadata: {} })));
        });

        h.on("GET", /^\/auth\/v1\/admin\/users$/, (req) => {
            const page = Number(req.url.searchParams.get("page") || 1);
            const perPage = Number(req.url.searchParams.get("per_page") || 50);
            const all = [...this.users.values()];
            return json(200, { users: all.slice((page - 1) * perPage, page * perPage).map((u) => this.userJson(u)), aud: "authenticated" }, { "x-total-count": String(all.length) });
        });
        h.on("POST", /^\/auth\/v1\/admin\/users$/, (req) => {
            const body = req.json();
            if ([...this.users.values()].some((u) => u.email === body.email)) return authError(422, "email_exists", "A user with this email address has already been registered");
            const user: FakeUser = { id: randomUUID(), email: body.email, user_metadata: body.user_metadata ?? {}, created_at: new Date().toISOString(), password: body.password };
            this.users.set(user.id, user);
            return json(200, this.userJson(user));
        });
        h.on("GET", /^\/auth\/v1\/admin\/users\/([^/]+)$/, (_req, m) => this.withUser(m[1], (u) => json(200, this.userJson(u))));
        h.on("PUT", /^\/auth\/v1\/admin\/users\/([^/]+)$/, (req, m) =>
            this.withUser(m[1], (u) => {
                const body = req.json();
                if (body.password !== undefined) u.password = body.password;
                // As GoTrue does (supabase/auth, models.User.UpdateUserMetaData): user_metadata is merged
                // into what the user has, and a key sent as null is deleted.
                if (body.user_metadata !== undefined) {
                    for (const [key, value] of Object.entries(body.user_metadata as Record<string, string | null>)) {
                        if (value === null) delete u.user_metadata[key];
                        else u.user_metadata[key] = value;
                    }
                }
                return json(200, this.userJson(u));
            }),
        );
        h.on("DELETE", /^\/auth\/v1\/admin\/users\/([^/]+)$/, (_req, m) =>
            this.withUser(m[1], (u) => {
                this.users.delete(u.id);
                return json(200, {});
            }),
        );
    }

    /** The recorded calls of one service (`storage` or `auth`). */
    calls(method: string, path: RegExp): Recorded[] {
        return this.http.calls(method, path);
    }

    private settings(body: { public?: boolean; file_size_limit?: number | null; allowed_mime_types?: string[] | null }) {
        return { public: body.public ?? false, file_size_limit: body.file_size_limit ?? null, allowed_mime_types: body.allowed_mime_types ?? null };
    }

    private bucketJson(b: FakeBucket) {
        const { objects: _objects, ...rest } = b;
        return { ...rest, owner: "", created_at: "2025-01-01T00:00:00Z", updated_at: "2025-01-01T00:00:00Z" };
    }

    private userJson(u: FakeUser) {
        return { id: u.id, aud: "authenticated", role: "authenticated", email: u.email, app_metadata: {}, user_metadata: u.user_metadata, created_at: u.created_at };
    }

    private withUser(id: string, fn: (u: FakeUser) => Response): Response {
        const user = this.users.get(id);
        return user ? fn(user) : authError(404, "user_not_found", "User not found");
    }
}
