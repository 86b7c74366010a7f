/**
 * The stack's gateway process: `node gateway/main.ts <dataDir> <port>`,
 * started by providers/runtime/gateway.ts. On one loopback port it serves
 * `/rest/v1` (./rest), `/storage/v1` (./storage), `/auth/v1` (./auth), `/realtime/v1/websocket`
 * (./realtime, fed by ./changes) and `/health`. It exits on SIGTERM, and by
 * itself once the stack's database is removed (the stack was destroyed).
 */
import { existsSync } from "fs";
import * as http from "http";
import * as path from "path";
import { Pool } from "pg";
import { ensureApiRoles } from "../providers/runtime/api-roles";
import { gatewayKeys } from "../providers/runtime/gateway";
import { migratePlatform } from "../providers/runtime/platform-tables";
import { connect, DATABASE, databaseDir, ensurePostgres } from "../providers/runtime/postgres-server";
import { auth, SESSIONS } from "./auth";
import { ChangeFeed } from "./changes";
import { Context, cors, Reply, sendJson } from "./http";
import { realtimeServer } from "./realtime";
import { restApi } from "./rest";
import { storage } from "./storage";

function log(message: string): void {
    console.log(`${new Date().toISOString()} ${message}`);
}

async function main(dataDir: string, port: number): Promise<void> {
    const cluster = path.join(databaseDir(dataDir), "instance.json");
    // Started for a stack being destroyed: never make it a new database.
    if (!existsSync(cluster)) throw new Error(`the stack has no database (${cluster}): nothing to serve`);
    const instance = await ensurePostgres(dataDir);
    const setup = await connect(instance);
    try {
        await setup.query("create schema if not exists flow_nexus");
        await ensureApiRoles(setup);
        await migratePlatform(setup, "gateway", [`create extension if not exists pgcrypto; ${SESSIONS}`]);
    } finally {
        await setup.end();
    }
    const pool = new Pool({ host: "127.0.0.1", port: instance.port, user: instance.user, password: instance.password, database: DATABASE, max: 4 });
    pool.on("error", (err) => log(`database connection lost: ${err.message}`));
    const ctx: Context = { dataDir, secret: (await gatewayKeys(dataDir)).secret, pool };
    const feed = new ChangeFeed(instance, pool);
    feed.on("error", (err: Error) => log(`change stream: ${err.message}`));
    await feed.start();
    const realtime = realtimeServer(ctx, feed);

    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        cors(res);
        if (req.method === "OPTIONS") return void res.writeHead(204).end();
        const route = /^\/(storage|auth|rest)\/v1\/(.*)$/.exec(url.pathname);
        const api = route && { storage, auth, rest: restApi }[route[1] as "storage" | "auth" | "rest"];
        const served =
            url.pathname === "/health"
                ? Promise.resolve(sendJson(res, 200, { ok: true }))
                : api
                  ? api(ctx, req, res, route![2], url)
                  : Promise.reject(new Reply(404, { message: `the gateway serves /rest/v1, /storage/v1, /auth/v1 and /realtime/v1, not ${url.pathname}` }));
        served.catch((err: unknown) => {
            if (res.headersSent) return void res.destroy();
            if (err instanceof Reply) return sendJson(res, err.status, err.body);
            log(`${req.method} ${url.pathname} failed: ${(err as Error).stack ?? err}`);
            sendJson(res, 500, { statusCode: "500", error: "internal", message: (err as Error).message });
        });
    });
    server.on("upgrade", (req, socket, head) => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        if (url.pathname.replace(/\/$/, "") === "/realtime/v1/websocket") return realtime.upgrade(req, socket, head, url);
        socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => resolve());
    });
    log(`serving ${dataDir} on http://127.0.0.1:${port}`);

    const stop = async (why: string) => {
        log(`stopping: ${why}`);
        realtime.close();
        server.close();
        await feed.stop();
        await pool.end().catch(() => undefined);
        process.exit(0);
    };
    process.on("SIGTERM", () => void stop("SIGTERM"));
    process.on("SIGINT", () => void stop("SIGINT"));
    // The stack was destroyed (its cluster removed): nothing is left to serve.
    setInterval(() => {
        if (!existsSync(cluster)) void stop("the stack's database is gone");
    }, 2000).unref();
}

if (require.main === module) {
    main(path.resolve(process.argv[2]), Number(process.argv[3])).catch((err) => {
        log(`failed: ${(err as Error).stack ?? err}`);
        process.exit(1);
    });
}
