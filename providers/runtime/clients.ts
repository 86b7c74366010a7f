/**
 * One small factory per cloud service: the SDK is loaded on first use (a
 * preview, or a stack on local backends, never loads it) and its client is
 * built from the credentials `configure` stored. Nothing here is captured by
 * a serialized provider.
 *
 * The transport is swappable for the contract tests, which run the real
 * SDKs against recorded, canned HTTP: Supabase and Stripe take a `fetch`;
 * E2B's SDK brings its own HTTP client, so it is pointed at another origin
 * (its documented `apiUrl`/`sandboxUrl` options) instead.
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import type Stripe from "stripe";
import { credential, requireCredential } from "./credentials";

/** Where the cloud SDKs send their requests; the default is the real services. */
export interface Transport {
    /** The fetch that Supabase, Stripe and the deployments' health checks use. */
    fetch?: typeof fetch;
    /** E2B's control-plane API and sandbox (envd) origins. */
    e2b?: { apiUrl: string; sandboxUrl: string; domain?: string };
}

let transport: Transport = {};

/** Redirects the cloud SDKs (contract tests); undefined restores the real services. */
export function setTransport(next: Transport | undefined): void {
    transport = next ?? {};
}

/** The fetch for plain HTTP calls a backend makes itself (health checks). */
export function httpFetch(): typeof fetch {
    return transport.fetch ?? fetch;
}

/** How long one call to a cloud API may take before it counts as failed. */
export const REQUEST_TIMEOUT_MS = 60_000;

/** The E2B SDK module (its `Sandbox` class and error classes). */
export function e2bSdk(): Promise<typeof import("e2b")> {
    return import("e2b");
}

/**
 * The connection options every E2B call takes: the API key from stack config
 * (never E2B_API_KEY from the environment: credentials come from configure).
 */
export function e2bOptions(): { apiKey: string; requestTimeoutMs: number; apiUrl?: string; sandboxUrl?: string; domain?: string } {
    return { apiKey: requireCredential("e2bApiKey"), requestTimeoutMs: REQUEST_TIMEOUT_MS, ...(transport.e2b ?? {}) };
}

/**
 * Stands in for Realtime's WebSocket: the providers use only the storage and
 * auth admin APIs, and supabase-js builds its Realtime client eagerly, which
 * on Node.js 20 (no native WebSocket) throws unless given a transport.
 */
class NoRealtime {
    constructor() {
        throw new Error("flow-nexus's providers do not open Supabase Realtime connections");
    }
}

/** A Supabase client with the service-role key: storage and auth admin APIs, no session kept. */
export async function supabaseClient(): Promise<SupabaseClient> {
    const { createClient } = await import("@supabase/supabase-js");
    const url = requireCredential("supabaseUrl");
    const key = requireCredential("supabaseServiceRoleKey");
    return createClient(url, key, {
        auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
        global: { fetch: transport.fetch ?? fetch },
        realtime: { transport: NoRealtime as never },
    });
}

/** Where the Stripe SDK sends its requests when `flow-nexus:stripeApiBase` says (stripe-mock, a proxy). */
function stripeApiBase(): { protocol?: "http" | "https"; host?: string; port?: number } {
    const base = credential("stripeApiBase");
    if (!base) return {};
    const url = new URL(base);
    const protocol = url.protocol === "http:" ? "http" : "https";
    return { protocol, host: url.hostname, port: Number(url.port || (protocol === "http" ? 80 : 443)) };
}

/**
 * A Stripe client. Network retries are the SDK's own (it sends an
 * idempotency key with every POST, so a retry never charges twice).
 */
export async function stripeClient(): Promise<Stripe> {
    const StripeSdk = (await import("stripe")).default;
    const key = requireCredential("stripeSecretKey");
    return new StripeSdk(key, {
        ...stripeApiBase(),
        maxNetworkRetries: 2,
        timeout: REQUEST_TIMEOUT_MS,
        appInfo: { name: "flow-nexus" },
        ...(transport.fetch ? { httpClient: StripeSdk.createFetchHttpClient(transport.fetch) } : {}),
    });
}
