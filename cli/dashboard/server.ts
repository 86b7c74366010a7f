/**
 * The dashboard's HTTP server: the page and its assets, the JSON API
 * (`/api/status`, `/api/app`, `/api/billing`, `/api/audit`, `/api/logs`)
 * and the live feed (`/api/events`, Server-Sent Events). Every request needs
 * the token the URL carries (`?token=`, an `Authorization: Bearer` header, or
 * the cookie the page gets), and a Host naming the address it listens on, so
 * neither another local user nor a web page through DNS rebinding reads the
 * stack. Errors are JSON: `{"error": {"status", "message"}}`.
 */
import { randomBytes, timingSafeEqual } from "crypto";
import { createReadStream } from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import { parseCount, parseSince } from "../args";
import { CliError, describeError, ExitCode, UsageError } from "../errors";
import type { Feed } from "./feed";
import { lastLines } from "../tail";
import type { AuditQuery, StackSource } from "./source";

const COOKIE = "flow_nexus_dashboard";
const PAGE_DIR = path.join(__dirname, "page");
const UPLOT_DIR = path.dirname(require.resolve("uplot/dist/uPlot.iife.min.js"));

/** The files the page loads, by their path: nothing else on disk is served. */
const ASSETS: Record<string, { file: string; type: string }> = {
    "/": { file: path.join(PAGE_DIR, "index.html"), type: "text/html; charset=utf-8" },
    "/assets/dashboard.js": { file: path.join(PAGE_DIR, "dashboard.js"), type: "text/javascript; charset=utf-8" },
    "/assets/dashboard.css": { file: path.join(PAGE_DIR, "dashboard.css"), type: "text/css; charset=utf-8" },
    "/assets/uplot.js": { file: path.join(UPLOT_DIR, "uPlot.iife.min.js"), type: "text/javascript; charset=utf-8" },
    "/assets/uplot.css": { file: path.join(UPLOT_DIR, "uPlot.min.css"), type: "text/css; charset=utf-8" },
};

const LOG_NAMES = ["app", "watchdog", "gateway"];
const ACTIONS = ["create", "update", "delete"];
/** How often an idle event stream says it is alive, so proxies and browsers keep it open. */
const HEARTBEAT_MS = 15_000;

/** An error the API answers with: a status and one line. */
class HttpError extends Error {
    constructor(
        readonly status: number,
        message: string,
        readonly headers: Record<string, string> = {},
    ) {
        super(message);
    }
}

/** The API's endpoints: each takes these query parameters and answers one JSON document. */
const ENDPOINTS: Record<string, { params: string[]; describe: string }> = {
    "/api/status": { params: [], describe: "every service's health now and the phase gates (as flow-nexus status --json)" },
    "/api/app": { params: [], describe: "the app's URL, its monitor's checks over the last hour, alerts and restarts" },
    "/api/billing": { params: [], describe: "balance, refill policy and spend, the balance over time, history, usage by day" },
    "/api/audit": { params: ["resource", "action", "since", "limit"], describe: "the audit log, oldest first; resource, action (create|update|delete), since (1h, ISO time), limit" },
    "/api/logs": { params: ["source", "lines"], describe: "the last lines of each log (source: app|watchdog|gateway; lines: default 100)" },
    "/api/events": { params: [], describe: "Server-Sent Events: status, app, billing, audit, logs, log, realtime and change as they happen" },
};

/** What a parameter is, read and checked; undefined when absent. */
function param(url: URL, name: string): string | undefined {
    const value = url.searchParams.get(name);
    return value === null || value === "" ? undefined : value;
}

function checkParams(url: URL, allowed: readonly string[]): void {
    for (const name of url.searchParams.keys()) {
        if (name !== "token" && !allowed.includes(name)) {
            throw new HttpError(400, `unknown parameter ${name}: ${url.pathname} takes ${allowed.length ? allowed.join(", ") : "no parameters"}`);
        }
    }
}

/** Reads the query as the CLI reads options: a bad value is a 400 with the CLI's own message. */
function auditQuery(url: URL): AuditQuery {
    const action = param(url, "action");
    if (action !== undefined && !ACTIONS.includes(action)) throw new HttpError(400, `action must be one of ${ACTIONS.join(", ")} (got ${JSON.stringify(action)})`);
    const since = param(url, "since");
    const limit = param(url, "limit");
    return {
        resource: param(url, "resource"),
        action,
        since: since === undefined ? undefined : parseSince(since, new Date(), "since"),
        limit: limit === undefined ? undefined : parseCount(limit, "limit"),
    };
}

/** The HTTP status for an error a backend or the CLI's checks raised. */
function statusOf(err: unknown): number {
    if (err instanceof HttpError) return err.status;
    if (err instanceof UsageError) return 400;
    if (err instanceof CliError && err.code === ExitCode.NoStack) return 404;
    const { code } = describeError(err);
    if (code === ExitCode.ServiceDown) return 503;
    return 500;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body, null, 2);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
    res.end(`${text}\n`);
}

function sendError(res: http.ServerResponse, err: unknown): void {
    const status = statusOf(err);
    sendJson(res, status, { error: { status, message: describeError(err).message } }, err instanceof HttpError ? err.headers : {});
}

function cookieToken(req: http.IncomingMessage): string | undefined {
    for (const part of (req.headers.cookie ?? "").split(";")) {
        const [name, ...value] = part.trim().split("=");
        if (name === COOKIE) return value.join("=");
    }
    return undefined;
}

function sameToken(given: string | undefined, token: string): boolean {
    if (given === undefined) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
}

export interface DashboardOptions {
    source: StackSource;
    feed: Feed;
    /** The address to listen on: 127.0.0.1 unless asked otherwise. */
    host: string;
    /** 0: any free port. */
    port: number;
    /** The token; a random one by default. */
    token?: string;
}

export interface Dashboard {
    /** The page's URL, token included. */
    url: string;
    port: number;
    token: string;
    /** Ends every stream and connection and closes the port. */
    close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
const WILDCARD = new Set(["0.0.0.0", "::"]);

/** Starts the server; resolves once it listens. */
export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
    const token = opts.token ?? randomBytes(24).toString("base64url");
    const streams = new Set<http.ServerResponse>();
    let port = 0;

    /** Hosts a request may name: the address listened on (and its loopback names), with the port. */
    function hostAllowed(host: string | undefined): boolean {
        if (!host) return false;
        const name = host.replace(/:\d+$/, "");
        if (host !== name && !host.endsWith(`:${port}`)) return false;
        if (LOOPBACK.has(opts.host)) return LOOPBACK.has(name);
        // Listening on every address, any name of this machine may be used; the token still guards it.
        return WILDCARD.has(opts.host) || name === opts.host || name === `[${opts.host}]`;
    }

    async function api(url: URL, res: http.ServerResponse): Promise<void> {
        const endpoint = ENDPOINTS[url.pathname];
        if (url.pathname === "/api" || url.pathname === "/api/") {
            checkParams(url, []);
            return sendJson(res, 200, { stack: opts.source.stack, endpoints: ENDPOINTS });
        }
        if (!endpoint) throw new HttpError(404, `no such endpoint ${url.pathname}: see /api for the list`);
        checkParams(url, endpoint.params);
        switch (url.pathname) {
            case "/api/status":
                return sendJson(res, 200, await opts.source.status());
            case "/api/app":
                return sendJson(res, 200, await opts.source.app());
            case "/api/billing":
                return sendJson(res, 200, await opts.source.billing());
            case "/api/audit":
                return sendJson(res, 200, { stack: opts.source.stack, entries: await opts.source.audit(auditQuery(url)) });
            case "/api/logs": {
                const wanted = param(url, "source");
                if (wanted !== undefined && !LOG_NAMES.includes(wanted)) throw new HttpError(400, `source must be one of ${LOG_NAMES.join(", ")} (got ${JSON.stringify(wanted)})`);
                const count = parseCount(param(url, "lines") ?? "100", "lines", 0, 10_000);
                const sources = (await opts.source.logSources()).filter((s) => wanted === undefined || s.name === wanted);
                if (sources.length === 0) throw new HttpError(404, `stack ${opts.source.stack} has no ${wanted} log`);
                const logs = await Promise.all(
                    sources.map(async (s) => {
                        await s.refresh?.();
                        return { source: s.name, file: s.file, lines: (await lastLines(s.file, count)).lines };
                    }),
                );
                return sendJson(res, 200, { stack: opts.source.stack, logs });
            }
            case "/api/events":
                return events(res);
        }
    }

    async function events(res: http.ServerResponse): Promise<void> {
        res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive" });
        res.write(": flow-nexus dashboard feed\n\n");
        streams.add(res);
        const heartbeat = setInterval(() => res.write(": alive\n\n"), HEARTBEAT_MS);
        const unsubscribe = await opts.feed.subscribe(({ event, data }) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
        res.on("close", () => {
            clearInterval(heartbeat);
            streams.delete(res);
            unsubscribe();
        });
    }

    function asset(pathname: string, res: http.ServerResponse, headers: Record<string, string>): void {
        const { file, type } = ASSETS[pathname];
        const stream = createReadStream(file);
        stream.on("open", () => {
            res.writeHead(200, {
                "content-type": type,
                "cache-control": "no-store",
                "x-content-type-options": "nosniff",
                "referrer-policy": "no-referrer",
                "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
                ...headers,
            });
            stream.pipe(res);
        });
        stream.on("error", (err) => sendError(res, err));
    }

    const server = http.createServer((req, res) => {
        void (async () => {
            try {
                if (!hostAllowed(req.headers.host)) throw new HttpError(403, `Host ${req.headers.host ?? "(none)"} is not this dashboard's address`);
                const url = new URL(req.url ?? "/", "http://dashboard");
                const given = url.searchParams.get("token") ?? req.headers.authorization?.replace(/^Bearer\s+/i, "") ?? cookieToken(req);
                if (!sameToken(given ?? undefined, token)) {
                    throw new HttpError(401, "this dashboard needs its token: open the URL flow-nexus dashboard printed (…?token=…), or send Authorization: Bearer <token>", {
                        "www-authenticate": 'Bearer realm="flow-nexus dashboard"',
                    });
                }
                if (req.method !== "GET" && req.method !== "HEAD") throw new HttpError(405, `${req.method} is not allowed: the dashboard's API is read-only (GET)`, { allow: "GET, HEAD" });
                if (url.pathname === "/api" || url.pathname.startsWith("/api/")) return await api(url, res);
                if (!ASSETS[url.pathname]) throw new HttpError(404, `no such page ${url.pathname}`);
                // The page keeps the token as a cookie, so its assets and API calls carry it without it in every URL.
                const cookie: Record<string, string> = url.pathname === "/" ? { "set-cookie": `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/` } : {};
                asset(url.pathname, res, cookie);
            } catch (err) {
                if (!res.headersSent) sendError(res, err);
                else res.end();
            }
        })();
    });

    await new Promise<void>((resolve, reject) => {
        server.once("error", (err: NodeJS.ErrnoException) =>
            reject(err.code === "EADDRINUSE" ? new UsageError(`port ${opts.port} on ${opts.host} is in use: pick another with --port, or 0 for any free one`) : err),
        );
        server.listen(opts.port, opts.host, () => resolve());
    });
    port = (server.address() as AddressInfo).port;
    const hostInUrl = opts.host.includes(":") ? `[${opts.host}]` : opts.host;

    return {
        url: `http://${hostInUrl}:${port}/?token=${token}`,
        port,
        token,
        async close() {
            for (const res of streams) res.end();
            await opts.feed.stop();
            await new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            });
        },
    };
}
