/**
 * The database every backend's SQL runs on: locally the stack's own
 * PostgreSQL (./postgres-server), in the cloud the Postgres of
 * `flow-nexus:databaseUrl` (normally the Supabase project's direct
 * connection). {@link withDatabase} picks one by the backend's kind, so
 * schemas, realtime, the audit log and the ledger run the same SQL on both.
 */
import type { Client, ClientBase } from "pg";
import { databaseError } from "./cloud-errors";
import { requireCredential } from "./credentials";
import type { BackendRef } from "./lineage";
import { connect, DATABASE, ensurePostgres, forgetServer } from "./postgres-server";

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

/** A client of the cloud database; a refused or unreachable connection says which config key to check. */
async function connectCloud(): Promise<Client> {
    const { Client } = await import("pg");
    const client = new Client({ connectionString: requireCredential("databaseUrl"), application_name: "flow-nexus", connectionTimeoutMillis: 30_000 });
    try {
        await client.connect();
    } catch (err) {
        await client.end().catch(() => undefined);
        throw databaseError(err, "connecting to the database of flow-nexus:databaseUrl");
    }
    return client;
}

async function connectLocal(dataDir: string): Promise<Client> {
    try {
        return await connect(await ensurePostgres(dataDir));
    } catch (err) {
        // The server this process started has died since (or the machine
        // slept through a reboot): start it again, once.
        if ((err as NodeJS.ErrnoException).code !== "ECONNREFUSED") throw err;
        forgetServer(dataDir);
        return connect(await ensurePostgres(dataDir));
    }
}

/**
 * Runs `fn` with a client of the platform database: the stack's embedded
 * server for a data folder or a `local` ref, `flow-nexus:databaseUrl` for a
 * `cloud` ref.
 */
export async function withDatabase<T>(ref: DatabaseRef, fn: (client: Client) => Promise<T>): Promise<T> {
    const client = isCloud(ref) ? await connectCloud() : await connectLocal(dataDirOf(ref));
    try {
        return await fn(client);
    } finally {
        await client.end();
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


