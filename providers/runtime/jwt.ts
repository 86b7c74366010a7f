/**
 * The stack's JWTs, as Supabase makes them: HS256, signed with the stack's
 * JWT secret. Locally that secret is derived from the stack's database
 * password (kept 0600 in its data folder), so it is never stored anywhere
 * else; the anon and service-role keys are the same on every run, like a
 * Supabase project's. The gateway checks what it issues with `verifyJwt`.
 */
import { createHmac } from "crypto";

// Loaded on first use: a provider process that only diffs never signs a token.
const jose = () => import("jose");

/** The roles a key or session may carry, as Supabase names them. */
export type JwtRole = "anon" | "authenticated" | "service_role";

/** What the gateway reads from a verified token. */
export interface JwtClaims {
    role: JwtRole;
    /** The user's id, for a session's token. */
    sub?: string;
    email?: string;
    session_id?: string;
    exp?: number;
}

const ISSUER = "flow-nexus";

/** The stack's JWT secret, derived from its database password. */
export function jwtSecret(serverPassword: string): Uint8Array {
    return createHmac("sha256", serverPassword).update("flow-nexus jwt secret").digest();
}

/** An API key: a token of `role` that does not expire (a Supabase project's keys last ten years). */
export async function apiKey(secret: Uint8Array, role: "anon" | "service_role", ref: string): Promise<string> {
    const { SignJWT } = await jose();
    // No iat: the same key on every run, so an app's environment does not change by itself.
    return new SignJWT({ role, ref }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuer(ISSUER).sign(secret);
}

/** A signed-in user's access token, valid for `seconds`. */
export async function accessToken(secret: Uint8Array, claims: Required<Pick<JwtClaims, "sub" | "email" | "session_id">> & Record<string, unknown>, seconds: number): Promise<string> {
    const { SignJWT } = await jose();
    return new SignJWT({ ...claims, role: "authenticated", aud: "authenticated" })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime(`${seconds}s`)
        .sign(secret);
}

/** The claims of a token the stack signed, or the reason it is refused. */
export async function verifyJwt(secret: Uint8Array, token: string): Promise<{ claims: JwtClaims } | { error: string }> {
    const { jwtVerify } = await jose();
    try {
        const { payload } = await jwtVerify(token, secret, { algorithms: ["HS256"], issuer: ISSUER });
        const role = payload.role;
        if (role !== "anon" && role !== "authenticated" && role !== "service_role") return { error: "invalid JWT: no known role" };
        return { claims: payload as unknown as JwtClaims };
    } catch (err) {
        const code = (err as { code?: string }).code;
        return { error: code === "ERR_JWT_EXPIRED" ? "JWT expired" : `invalid JWT: ${(err as Error).message}` };
    }
}
