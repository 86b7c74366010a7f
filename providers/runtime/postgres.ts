/**
 * The database every backend's SQL runs on: locally the stack's own
 * PostgreSQL (./postgres-server), in the cloud the Postgres of
 * `flow-nexus:databaseUrl` (normally the Supabase project's direct
 * connection). {@link withDatabase} picks one by the backend's kind, so
 * schemas, realtime, the audit log and the ledger run the same SQL on both.
 */
import * as path from "path";
import type { ClientBase, Pool, PoolClient, PoolConfig } from "pg";
import { databaseError } from "./cloud-errors";
import { requireCredential } from "./credentials";
import type { BackendRef } from "./lineage";
import { DATABASE, ensurePostgres, forgetServer } from "./postgres-server";

/**
 * Which database a call uses: a local stack's data folder (its embedded
 * server), or a backend ref (`local` with its dataDir, or `cloud`).
 */
export type DatabaseRef = string | BackendRef;

/** The ref as a BackendRef (a bare data folder is a local one). */
export function backendRefOf(ref: DatabaseRef): BackendRef {
    return typeof ref === "string" ? { kind: "local", dataDir: ref } : ref;
}

/** Whether the ref is the cloud database. */
export function isCloud(ref: DatabaseRef): boolean {
    return typeof ref !== "string" && ref.kind === "cloud";
}

/** The local data folder of a ref; throws for the cloud database, which has none. */
export function dataDirOf(ref: DatabaseRef): string {
    const backend = backendRefOf(ref);
    if (backend.kind !== "local" || !backend.dataDir) throw new Error(`a ${backend.kind} backend has no local data folder`);
    return backend.dataDir;
}

/**
 * This process's connection pools, one per server: a stack's embedded one
 * by its data folder, the cloud one. A provider process runs hundreds of
 * operations in an `up`, each a few queries: a connection of their own each
 * cost a server process's start and a password exchange, more than the
 * queries. Sessions hold nothing between uses (only `set local`, only
 * transaction-scoped locks), and idle connections do not keep a process alive.
 */
const pools = new Map<string, { server: string; pool: Pool }>();

/** The pool of `place`, made anew when the server there is another one (a new cluster, a new port or password). */
function poolOf(PoolClass: typeof Pool, place: string, config: PoolConfig): Pool {
    const server = JSON.stringify([config.connectionString, config.port, config.user, config.password]);
    const known = pools.get(place);
    if (known?.server === server) return known.pool;
    void known?.pool.end().catch(() => undefined);
    // Room for every operation the engine runs at once (and one it nests),
    // well within the server's 100 connections; waiting longer than the
    // timeout for one is an error, never a hang. A connection idle for a
    // second is closed: a burst of operations reuses it, and a watchdog
    // between its rounds holds none (each is a server process of its own).
    const pool = new PoolClass({ max: 20, connectionTimeoutMillis: 60_000, idleTimeoutMillis: 1000, ...config, application_name: "flow-nexus", allowExitOnIdle: true });
    // An idle connection whose server went away (stopped, restarted) is dropped by the pool; nothing else is to do.
    pool.on("error", () => undefined);
    pools.set(place, { server, pool });
    return pool;
}

/** The connections this process has checked out before: one of them may have lost its server since. */
const used = new WeakSet<PoolClient>();

/**
 * A live connection from `pool`. One it had kept is asked first whether its
 * server still answers (a round trip, where a new connection costs a server
 * process and a password exchange): a server that stopped or crashed since
 * leaves its connections dead, and then the pool gives another or opens one.
 */
async function checkout(pool: Pool): Promise<PoolClient> {
    for (;;) {
        const client = await pool.connect();
        if (!used.has(client)) {
            used.add(client);
            // A connection that breaks between two queries says so here, not as an uncaught error; its next query fails.
            client.on("error", () => undefined);
            return client;
        }
        try {
            await client.query("select 1");
            return client;
        } catch {
            client.release(true);
        }
    }
}

/** A client of the cloud database; a refused or unreachable connection says which config key to check. */
async function connectCloud(): Promise<PoolClient> {
    const { Pool } = await import("pg");
    try {
        return await checkout(poolOf(Pool, "cloud", { connectionString: requireCredential("databaseUrl"), connectionTimeoutMillis: 30_000 }));
    } catch (err) {
        throw databaseError(err, "connecting to the database of flow-nexus:databaseUrl");
    }
}

async function connectLocal(dataDir: string): Promise<PoolClient> {
    const { Pool } = await import("pg");
    const connect = async () => {
        const { port, user, password } = await ensurePostgres(dataDir);
        return checkout(poolOf(Pool, path.resolve(dataDir), { host: "127.0.0.1", port, user, password, database: DATABASE }));
    };
    try {
        return await connect();
    } catch (err) {
        // The server this process started has died since (or the machine
        // slept through a reboot): start it again, once.
        if ((err as NodeJS.ErrnoException).code !== "ECONNREFUSED") throw err;
        forgetServer(dataDir);
        return connect();
    }
}

/**
 * Runs `fn` with a connection to the platform database: the stack's embedded
 * server for a data folder or a `local` ref, `flow-nexus:databaseUrl` for a
 * `cloud` ref. A connection `fn` failed on is closed, not used again.
 */
export async function withDatabase<T>(ref: DatabaseRef, fn: (client: ClientBase) => Promise<T>): Promise<T> {
    const client = isCloud(ref) ? await connectCloud() : await connectLocal(dataDirOf(ref));
    let failed = false;
    try {
        return await fn(client);
    } catch (err) {
        failed = true;
        throw err;
    } finally {
        client.release(failed);
    }
}

/** The connection string of the stack's platform database (for apps and tools). */
export async function databaseUrl(dataDir: string): Promise<string> {
    const { port, user, password } = await ensurePostgres(dataDir);
    return `postgres://${user}:${password}@127.0.0.1:${port}/${DATABASE}`;
}

/** Runs `fn` in a transaction on `client`. */
export async function transaction<T>(client: ClientBase, fn: () => Promise<T>): Promise<T> {
    await client.query("begin");
    try {
        const result = await fn();
        await client.query("commit");
        return result;
    } catch (err) {
        await client.query("rollback").catch(() => undefined);
        throw err;
    }
}


