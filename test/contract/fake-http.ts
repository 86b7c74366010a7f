/**
 * A fake HTTP service for contract tests: routes answer with canned
 * responses, and every request is recorded so a test can assert the calls
 * an SDK made. It is a `fetch` (for SDKs that take one: Supabase, Stripe)
 * and a loopback HTTP server (for E2B, whose SDK brings its own client).
 *
 * A request no route matches is answered 418 and kept in `unmatched`, so a
 * test that forgot a route fails on it instead of hanging on retries.
 */
import * as http from "http";
import type { AddressInfo } from "net";

/** A request as the fake received it. */
export interface Recorded {
    method: string;
    url: URL;
    headers: Headers;
    /** The raw body (empty for GET). */
    body: Buffer;
    /** The body parsed as JSON (or as a form, for form-encoded bodies such as Stripe's). */
    json<T = any>(): T;
    form(): URLSearchParams;
}

export type Reply = (req: Recorded, match: RegExpMatchArray) => Response | Promise<Response>;

interface Route {
    method: string;
    path: RegExp;
    reply: Reply;
    once: boolean;
}

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
    return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

export class FakeHttp {
    readonly requests: Recorded[] = [];
    readonly unmatched: Recorded[] = [];
    private routes: Route[] = [];
    private server?: http.Server;

    /** Answers `method path` (a regex on the URL's pathname) with `reply`; later routes win over earlier ones. */
    on(method: string, path: RegExp, reply: Reply): this {
        this.routes.unshift({ method, path, reply, once: false });
        return this;
    }

    /** Like {@link on}, for the next matching request only (a one-off error). */
    once(method: string, path: RegExp, reply: Reply): this {
        this.routes.unshift({ method, path, reply, once: true });
        return this;
    }

    /** The recorded requests of `method` whose pathname matches `path`. */
    calls(method: string, path: RegExp): Recorded[] {
        return this.requests.filter((r) => r.method === method && path.test(r.url.pathname));
    }

    /** Forgets the recorded requests (routes stay). */
    clearRecords(): void {
        this.requests.length = 0;
        this.unmatched.length = 0;
    }

    /** The fake as a fetch function. */
    readonly fetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
        const request = new Request(input, init);
        const body = request.method === "GET" || request.method === "HEAD" ? Buffer.alloc(0) : Buffer.from(await request.arrayBuffer());
        const recorded: Recorded = {
            method: request.method,
            url: new URL(request.url),
            headers: request.headers,
            body,
            json: () => JSON.parse(body.toString("utf8")),
            form: () => new URLSearchParams(body.toString("utf8")),
        };
        this.requests.push(recorded);
        for (const route of this.routes) {
            const match = route.method === recorded.method ? recorded.url.pathname.match(route.path) : null;
            if (!match) continue;
            if (route.once) this.routes.splice(this.routes.indexOf(route), 1);
            return route.reply(recorded, match);
        }
        this.unmatched.push(recorded);
        return json(418, { message: `the fake has no route for ${recorded.method} ${recorded.url.pathname}` });
    }) as typeof fetch;

    /** Serves the fake on a loopback port; resolves to its origin (http://127.0.0.1:<port>). */
    async listen(): Promise<string> {
        const skipped = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);
        this.server = http.createServer(async (req, res) => {
            try {
                const chunks: Buffer[] = [];
                for await (const chunk of req) chunks.push(chunk as Buffer);
                const headers = new Headers();
                for (const [key, value] of Object.entries(req.headers)) {
                    if (!skipped.has(key) && value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
                }
                const hasBody = req.method !== "GET" && req.method !== "HEAD";
                const response = await this.fetch(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined });
                const out: Record<string, string> = {};
                response.headers.forEach((value, key) => (out[key] = value));
                res.writeHead(response.status, out);
                res.end(Buffer.from(await response.arrayBuffer()));
            } catch (err) {
                res.writeHead(500, { "content-type": "text/plain" });
                res.end(String((err as Error).stack ?? err));
            }
        });
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    async close(): Promise<void> {
        if (!this.server) return;
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server!.close(() => resolve()));
        this.server = undefined;
    }
}
