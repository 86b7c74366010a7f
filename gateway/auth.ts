/**
 * Auth (`/auth/v1`) as @supabase/auth-js calls it, for the stack's
 * PlatformUsers: password sign-in, refresh (the refresh token rotates, as
 * GoTrue's does), getUser and sign-out. The access tokens are the stack's
 * JWTs (providers/runtime/jwt), which storage and realtime check. Accounts
 * are PlatformUser resources, so sign-up is disabled, as a project's can be.
 * Errors are GoTrue's: `{"code","error_code","msg"}`.
 */
import { createHash, randomBytes } from "crypto";
import type { IncomingMessage, ServerResponse } from "http";
import { accessToken } from "../providers/runtime/jwt";
import { Account, accountById, signIn } from "../providers/user/api";
import { caller, Context, readJsonBody, Reply, sendJson } from "./http";

/** How long an access token lasts, as a project's default. */
const EXPIRES_IN = 3600;

/** Version 1 of the gateway's own table: sign-in sessions and their current refresh token (hashed). */
export const SESSIONS = `
    create table if not exists flow_nexus.auth_sessions (
        id uuid primary key default gen_random_uuid(),
        user_id uuid not null,
        refresh_token_hash text not null unique,
        created_at timestamptz not null default now(),
        refreshed_at timestamptz not null default now()
    )`;

function authError(status: number, code: string, msg: string): Reply {
    return new Reply(status, { code, error_code: code, msg });
}

const hash = (token: string) => createHash("sha256").update(token).digest("hex");

function userJson(a: Account) {
    const at = a.createdAt.toISOString();
    return {
        id: a.id,
        aud: "authenticated",
        role: "authenticated",
        email: a.email,
        email_confirmed_at: at,
        confirmed_at: at,
        phone: "",
        last_sign_in_at: new Date().toISOString(),
        app_metadata: { provider: "email", providers: ["email"] },
        user_metadata: { ...a.metadata, ...(a.fullName ? { full_name: a.fullName } : {}) },
        identities: [],
        created_at: at,
        updated_at: a.updatedAt.toISOString(),
        is_anonymous: false,
    };
}

async function session(ctx: Context, a: Account, sessionId: string, refreshToken: string) {
    const user = userJson(a);
    const token = await accessToken(ctx.secret, { sub: a.id, email: a.email, session_id: sessionId, app_metadata: user.app_metadata, user_metadata: user.user_metadata }, EXPIRES_IN);
    return { access_token: token, token_type: "bearer", expires_in: EXPIRES_IN, expires_at: Math.floor(Date.now() / 1000) + EXPIRES_IN, refresh_token: refreshToken, user };
}

async function grant(ctx: Context, req: IncomingMessage, type: string | null) {
    const body = await readJsonBody<{ email?: string; password?: string; refresh_token?: string }>(req);
    if (type === "password") {
        if (!body.email || !body.password) throw authError(400, "validation_failed", "An email address and a password are required");
        const a = await signIn(ctx.pool, body.email, body.password);
        if (!a) throw authError(400, "invalid_credentials", "Invalid login credentials");
        const refresh = randomBytes(24).toString("base64url");
        const { rows } = await ctx.pool.query<{ id: string }>("insert into flow_nexus.auth_sessions (user_id, refresh_token_hash) values ($1, $2) returning id", [a.id, hash(refresh)]);
        return session(ctx, a, rows[0].id, refresh);
    }
    if (type === "refresh_token") {
        if (!body.refresh_token) throw authError(400, "validation_failed", "A refresh_token is required");
        const refresh = randomBytes(24).toString("base64url");
        const { rows } = await ctx.pool.query<{ id: string; user_id: string }>(
            "update flow_nexus.auth_sessions set refresh_token_hash = $2, refreshed_at = now() where refresh_token_hash = $1 returning id, user_id",
            [hash(body.refresh_token), hash(refresh)],
        );
        const a = rows[0] && (await accountById(ctx.pool, rows[0].user_id));
        if (!a) throw authError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
        return session(ctx, a, rows[0].id, refresh);
    }
    throw authError(400, "unsupported_grant_type", `grant_type must be password or refresh_token (got ${type ?? "none"})`);
}

/** Serves one auth request (`rest`: the path after /auth/v1/). */
export async function auth(ctx: Context, req: IncomingMessage, res: ServerResponse, rest: string, url: URL): Promise<void> {
    res.setHeader("x-supabase-api-version", "2024-01-01");
    const method = req.method ?? "GET";
    const fail = (status: number, message: string) => authError(status, status === 401 ? "no_authorization" : "bad_jwt", message);
    if (rest === "token" && method === "POST") {
        await caller(ctx, req, url, fail);
        return sendJson(res, 200, await grant(ctx, req, url.searchParams.get("grant_type")));
    }
    if (rest === "user" && method === "GET") {
        const who = await caller(ctx, req, url, fail);
        const a = who.sub ? await accountById(ctx.pool, who.sub) : undefined;
        if (!who.sub) throw authError(403, "bad_jwt", "invalid claim: missing sub claim");
        if (!a) throw authError(403, "user_not_found", "User from sub claim in JWT does not exist");
        return sendJson(res, 200, userJson(a));
    }
    if (rest === "logout" && method === "POST") {
        const who = await caller(ctx, req, url, fail);
        const scope = url.searchParams.get("scope") ?? "global";
        if (who.sub && scope === "global") await ctx.pool.query("delete from flow_nexus.auth_sessions where user_id = $1", [who.sub]);
        else if (who.sub && scope === "local") await ctx.pool.query("delete from flow_nexus.auth_sessions where id = $1", [who.session_id]);
        else if (who.sub) await ctx.pool.query("delete from flow_nexus.auth_sessions where user_id = $1 and id <> $2", [who.sub, who.session_id]);
        res.writeHead(204).end();
        return;
    }
    if (rest === "signup" && method === "POST") throw authError(422, "signup_disabled", "Signups not allowed for this instance: users are PlatformUser resources");
    if (rest === "health" || rest === "settings") return sendJson(res, 200, { name: "flow-nexus gateway auth", disable_signup: true, external: { email: true } });
    throw authError(404, "not_found", `no auth route ${method} /auth/v1/${rest}`);
}
