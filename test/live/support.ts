/**
 * What the live acceptance tests share: each file runs against a real
 * service only when its credentials are in the environment, and otherwise
 * prints one line saying it was skipped and why.
 */
import type { Context } from "mocha";
import { setCredentials } from "../../providers/runtime/credentials";

/**
 * The environment variables, or a skip of the whole suite (from `before`)
 * with one line naming what is missing.
 */
export function requireEnv(ctx: Context, service: string, names: readonly string[]): Record<string, string> {
    const missing = names.filter((name) => !process.env[name]);
    if (missing.length > 0) {
        console.log(`live ${service} tests skipped: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set`);
        ctx.skip();
    }
    return Object.fromEntries(names.map((name) => [name, process.env[name]!]));
}

/** Clears what a live suite configured, so no credential outlives it. */
export function forgetCredentials(): void {
    setCredentials({});
}

/** A name no earlier run used, for objects that must be unique in the service. */
export function uniqueName(prefix: string): string {
    return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}
