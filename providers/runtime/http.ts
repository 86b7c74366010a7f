/** One HTTP probe for every health check: deployments' readiness, watchdogs, `flow-nexus status`. */
import * as http from "http";
import * as https from "https";

/** How one HTTP GET went. */
export interface ProbeResult {
    /** Absent when no response came (connection refused, timeout). */
    statusCode?: number;
    /** Milliseconds until the whole response arrived, or until giving up. */
    latencyMs: number;
    error?: string;
}

/** One GET of `url` (http or https) on a fresh connection; never throws. */
export function probe(url: string, timeoutMs: number): Promise<ProbeResult> {
    const started = process.hrtime.bigint();
    return new Promise((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        let done = false;
        const finish = (result: Omit<ProbeResult, "latencyMs">) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            resolve({ ...result, latencyMs: Number((process.hrtime.bigint() - started) / 1_000_000n) });
        };
        let req: http.ClientRequest;
        try {
            const client = url.startsWith("https:") ? https : http;
            req = client.get(url, { agent: false, headers: { "user-agent": "flow-nexus" } }, (res) => {
                res.once("end", () => finish({ statusCode: res.statusCode }));
                res.once("error", (err) => finish({ statusCode: res.statusCode, error: err.message }));
                res.resume();
            });
        } catch (err) {
            finish({ error: (err as Error).message });
            return;
        }
        req.once("error", (err: NodeJS.ErrnoException) => finish({ error: err.message || err.code }));
        timer = setTimeout(() => {
            finish({ error: `no answer within ${timeoutMs} ms` });
            req.destroy();
        }, timeoutMs);
    });
}

