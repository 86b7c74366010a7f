/**
 * One HTTP probe for every health check: deployments' readiness (local and
 * on E2B), both watchdogs, `flow-nexus status`. On the built-in `fetch` with
 * `AbortSignal.timeout`, and self-contained (no imports, nothing captured),
 * so the cloud watchdog embeds its source and probes exactly as the local one.
 */

/**
 * The ports `fetch` refuses to connect to (the Fetch standard's "bad ports")
 * from 1024 up: an app must not listen on one, or no probe reaches it.
 */
export const FETCH_BLOCKED_PORTS = [1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6697, 10080] as const;

/** How one HTTP GET went. */
export interface ProbeResult {
    /** Absent when no response came (connection refused, timeout). */
    statusCode?: number;
    /** Milliseconds until the whole response arrived, or until giving up. */
    latencyMs: number;
    error?: string;
}

export interface ProbeOptions {
    /** Extra request headers (E2B's traffic token). */
    headers?: Record<string, string>;
    /** The fetch to use; the built-in one by default (contract tests swap it). */
    fetch?: typeof fetch;
}

/** One GET of `url` (http or https), its body read to the end; never throws. */
export async function probe(url: string, timeoutMs: number, opts: ProbeOptions = {}): Promise<ProbeResult> {
    const started = Date.now();
    try {
        const res = await (opts.fetch ?? fetch)(url, { signal: AbortSignal.timeout(timeoutMs), headers: { "user-agent": "flow-nexus", ...opts.headers } });
        await res.arrayBuffer();
        return { statusCode: res.status, latencyMs: Date.now() - started };
    } catch (err) {
        const failure = err as { name?: string; message?: string; cause?: { message?: string; code?: string } };
        const error =
            failure.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (failure.cause?.message ?? failure.cause?.code ?? failure.message ?? String(err));
        return { latencyMs: Date.now() - started, error };
    }
}
