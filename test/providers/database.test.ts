/**
 * PlatformUser, DatabaseSchema and RealtimeSubscription, called as the
 * engine calls them, against the real embedded Postgres.
 */
import { strict as assert } from "assert";
import { provider as realtimeProvider } from "../../providers/realtime/resource";
import { migratePlatform } from "../../providers/runtime/platform-tables";
import { withDatabase } from "../../providers/runtime/postgres";
import { acquireLease } from "../../providers/runtime/postgres-server";
import { appendOnlyViolation, provider as schemaProvider } from "../../providers/schema/resource";
import { provider as userProvider } from "../../providers/user/resource";
import { verifyPassword } from "../../providers/user";
import { asEngine, rejection, removeStackData, tempDataDir, testTags } from "../support";

const users = asEngine(userProvider);
const schemas = asEngine(schemaProvider);
const realtime = asEngine(realtimeProvider);

describe("providers: PlatformUser on the local backend", function () {
    let dataDir: string;
    const inputs = () => ({
        email: "ada@example.com",
        password: "correct horse battery",
        fullName: "Ada Lovelace",
        metadata: { team: "engines" },
        backend: { kind: "local" as const, dataDir },
        tags: testTags("PlatformUser", "ada"),
    });

    before(async function () {
        dataDir = await tempDataDir();
    });
    after(async function () {
        await removeStackData(dataDir);
    });

    it("check names a malformed email and a short password", async function () {
        const { failures } = await users.check({}, { ...inputs(), email: "not-an-email", password: "short" });
        assert.deepEqual(
            failures?.map((f: { property: string; reason: string }) => f.reason),
            ['email must be an email address such as dev@example.com (got "not-an-email")', "password must be 12 to 72 characters"],
        );
    });

    it("create stores a profile and only an scrypt hash of the password", async function () {
        const { id, outs } = await users.create(inputs());
        assert.equal(outs.userId, id);
        assert.deepEqual({ ...outs.profile, createdAt: undefined }, {
            id,
            email: "ada@example.com",
            fullName: "Ada Lovelace",
            metadata: { team: "engines" },
            createdAt: undefined,
        });
        const { rows } = await withDatabase(dataDir, (c) => c.query("select password_hash from flow_nexus.users where id = $1", [id]));
        assert.match(rows[0].password_hash, /^scrypt\$16384\$8\$1\$/);
        assert.doesNotMatch(rows[0].password_hash, /correct horse/);
        assert.ok(await verifyPassword("correct horse battery", rows[0].password_hash));
    });

    it("create adopts an existing account when the password logs in, and refuses it when not", async function () {
        const first = await users.read("unused", undefined);
        assert.deepEqual(first, {});
        const again = await users.create(inputs());
        const { rows } = await withDatabase(dataDir, (c) => c.query("select count(*)::int as n from flow_nexus.users"));
        assert.equal(rows[0].n, 1);
        const err = await rejection(() => users.create({ ...inputs(), password: "not the password!" }));
        assert.match(err.message, /a user with email ada@example.com already exists and the given password does not match/);
        assert.ok(again.id);
    });

    it("update changes the password in place, and read sees an out-of-band change as drift", async function () {
        const { id, outs } = await users.create(inputs());
        const updated = await users.update(id, outs, { ...inputs(), password: "a brand new passphrase" });
        assert.equal(updated.outs!.userId, id);
        const read = await users.read(id, updated.outs);
        assert.equal(read.props!.password, "a brand new passphrase");
        const stale = await users.read(id, outs);
        assert.equal(stale.props!.password, "", "the old password no longer logs in");
    });

    it("delete removes the account; reading or deleting it again finds it gone", async function () {
        const { id, outs } = await users.create({ ...inputs(), email: "grace@example.com" });
        await users.delete(id, outs);
        assert.deepEqual(await users.read(id, outs), {});
        await users.delete(id, outs);
    });
});

describe("providers: DatabaseSchema on the local backend", function () {
    let dataDir: string;
    const m1 = { id: "001_init", sql: "create table notes (id int primary key, body text)" };
    const m2 = { id: "002_tags", sql: "alter table notes add column tags text[]" };
    const inputs = (migrations = [m1]) => ({
        schema: "app",
        migrations,
        backend: { kind: "local" as const, dataDir },
        tags: testTags("DatabaseSchema", "app"),
    });

    before(async function () {
        dataDir = await tempDataDir();
    });
    after(async function () {
        await removeStackData(dataDir);
    });

    it("check refuses an empty migration, a bad schema name, and an edit of an applied migration", async function () {
        const empty = await schemas.check({}, inputs([{ id: "001", sql: "  " }]));
        assert.deepEqual(empty.failures?.map((f: { property: string; reason: string }) => f.reason), ["migrations[0].sql must not be empty"]);
        const badName = await schemas.check({}, { ...inputs(), schema: "pg_mine" });
        assert.match(badName.failures![0].reason, /^schema must be a Postgres identifier/);
        const edited = await schemas.check(inputs([m1]), inputs([{ ...m1, sql: "create table notes (id int)" }]));
        assert.deepEqual(edited.failures?.map((f: { property: string; reason: string }) => f.reason), [
            "migrations[0] (001_init) was edited after it was applied: restore its SQL and add a new migration with the change",
        ]);
        assert.match(appendOnlyViolation([m1, m2], [m2, m1])!, /migrations\[0\] must stay 001_init/);
        assert.equal(appendOnlyViolation([m1], [m1, m2]), undefined);
    });

    it("create applies the migrations and records them with checksums", async function () {
        const { id, outs } = await schemas.create(inputs());
        assert.equal(id, "app");
        assert.deepEqual(outs.applied, ["001_init"]);
        assert.equal(outs.version, "001_init");
        assert.match(outs.checksum, /^[0-9a-f]{64}$/);
        await withDatabase(dataDir, (c) => c.query("insert into app.notes values (1, 'kept')"));
    });

    it("an appended migration applies in place and keeps the data", async function () {
        const { outs } = await schemas.create(inputs());
        const updated = await schemas.update("app", outs, inputs([m1, m2]));
        assert.deepEqual(updated.outs!.applied, ["001_init", "002_tags"]);
        const { rows } = await withDatabase(dataDir, (c) => c.query("select body, tags from app.notes"));
        assert.deepEqual(rows, [{ body: "kept", tags: null }]);
    });

    it("what a migration sets for its session (search_path, a setting, a temporary table) does not outlast it", async function () {
        const { outs } = await schemas.create(inputs([m1, m2]));
        const sessionWide = { id: "003_session", sql: "set search_path to pg_catalog; set application_name = 'leaked'; create temp table leaked (x int)" };
        await schemas.update("app", outs, inputs([m1, m2, sessionWide]));
        const { rows } = await withDatabase(dataDir, (c) =>
            c.query("select current_setting('search_path') as path, current_setting('application_name') as app, to_regclass('pg_temp.leaked') is null as no_temp"),
        );
        assert.deepEqual(rows, [{ path: '"$user", public', app: "flow-nexus", no_temp: true }]);
    });

    it("a failing migration is rolled back and named", async function () {
        const state = (await schemas.read("app", (await schemas.create(inputs([m1, m2]))).outs)).props!;
        const bad = { id: "003_bad", sql: "alter table notes add column x int; select * from missing_table" };
        const err = await rejection(() => schemas.update("app", state, inputs([m1, m2, bad])));
        assert.match(err.message, /migration 003_bad of schema app failed and was rolled back: relation "missing_table" does not exist/);
        const { rows } = await withDatabase(dataDir, (c) =>
            c.query("select column_name from information_schema.columns where table_schema = 'app' and table_name = 'notes' and column_name = 'x'"),
        );
        assert.equal(rows.length, 0, "the half-applied column is gone");
    });

    it("read reports a lost migration record as drift, and a dropped schema as gone", async function () {
        const { outs } = await schemas.create(inputs([m1, m2]));
        await withDatabase(dataDir, (c) => c.query("delete from flow_nexus.schema_migrations where id = '002_tags'"));
        assert.deepEqual((await schemas.read("app", outs)).props!.applied, ["001_init"]);
        await schemas.delete("app", { ...outs, forceDestroy: true });
        assert.deepEqual(await schemas.read("app", outs), {});
    });

    it("keeps a schema whose tables hold rows: delete and a rename are refused, naming the tables, unless forceDestroy", async function () {
        const { outs } = await schemas.create(inputs([m1]));
        await withDatabase(dataDir, (c) => c.query("insert into app.notes values (1, 'a'), (2, 'b')"));
        const refusal = /^schema app holds 2 rows \(notes: 2\): nothing was deleted\. Set forceDestroy: true on it/;
        assert.equal((await rejection(() => schemas.delete("app", outs))).message.match(refusal)?.length, 1);
        const renamed = await rejection(() => schemas.diff("app", outs, { ...inputs([m1]), schema: "app2", forceDestroy: false }));
        assert.match(renamed.message, /^renaming schema app to app2 would drop schema app, which holds 2 rows \(notes: 2\): nothing was changed/);
        const { rows } = await withDatabase(dataDir, (c) => c.query("select count(*)::int as n from app.notes"));
        assert.equal(rows[0].n, 2, "nothing was dropped");
        // Asked for in the same run as the rename: the replacement records it, and the old schema's delete honours it.
        assert.deepEqual((await schemas.diff("app", outs, { ...inputs([m1]), schema: "app2", forceDestroy: true })).replaces, ["schema"]);
        await schemas.create({ ...inputs([m1]), schema: "app2", forceDestroy: true });
        await schemas.delete("app", outs);
        assert.deepEqual(await schemas.read("app", outs), {});
        await schemas.delete("app2", { ...outs, schema: "app2", forceDestroy: true });
    });
});

describe("providers: RealtimeSubscription on the local backend", function () {
    let dataDir: string;
    const inputs = (extra: object = {}) => ({
        table: "chat.messages",
        events: ["INSERT" as const],
        backend: { kind: "local" as const, dataDir },
        tags: testTags("RealtimeSubscription", "chat"),
        ...extra,
    });
    const published = () =>
        withDatabase(dataDir, async (c) => (await c.query("select tablename from pg_publication_tables where pubname = 'supabase_realtime' and schemaname <> 'flow_nexus'")).rows);

    before(async function () {
        dataDir = await tempDataDir();
        // The table is the test's own: its lease keeps the database while subscriptions come and go.
        await acquireLease(dataDir, "test:chat-table");
        await withDatabase(dataDir, (c) => c.query("create schema chat; create table chat.messages (id int primary key, body text)"));
    });
    after(async function () {
        await removeStackData(dataDir);
    });

    it("check names bad events and filters", async function () {
        const { failures } = await realtime.check({}, inputs({ events: ["UPSERT"], filter: "room=like.x" }));
        assert.deepEqual(failures?.map((f: { property: string; reason: string }) => f.property), ["events", "filter"]);
        assert.match(failures![0].reason, /events\[0\] must be one of INSERT, UPDATE, DELETE, \*/);
    });

    it("create refuses a table that does not exist, saying how to fix it", async function () {
        const err = await rejection(() => realtime.create(inputs({ table: "chat.missing" })));
        assert.match(err.message, /table chat.missing does not exist: create it in a DatabaseSchema migration/);
    });

    it("create adds the table to the supabase_realtime publication with full replica identity", async function () {
        const { id, outs } = await realtime.create(inputs());
        assert.match(id, /^sub-[0-9a-f]{12}$/);
        assert.equal(outs.active, true);
        assert.deepEqual(await published(), [{ tablename: "messages" }]);
        const { rows } = await withDatabase(dataDir, (c) => c.query("select relreplident from pg_class where relname = 'messages'"));
        assert.equal(rows[0].relreplident, "f");
    });

    it("events and filter update in place; read sees the table leave the publication", async function () {
        const { id, outs } = await realtime.create(inputs());
        const updated = await realtime.update(id, outs, inputs({ events: ["*"], filter: "id=gt.10" }));
        assert.deepEqual([updated.outs!.events, updated.outs!.filter], [["*"], "id=gt.10"]);
        await withDatabase(dataDir, (c) => c.query("alter publication supabase_realtime drop table chat.messages"));
        assert.equal((await realtime.read(id, updated.outs)).props!.active, false);
    });

    it("delete takes the table out of the publication", async function () {
        const { id, outs } = await realtime.create(inputs());
        await realtime.delete(id, outs);
        assert.deepEqual(await published(), []);
        assert.deepEqual(await realtime.read(id, outs), {});
    });
});

describe("providers: the platform's own tables, by versioned migrations", function () {
    let dataDir: string;

    before(async function () {
        dataDir = await tempDataDir();
    });
    after(async function () {
        await removeStackData(dataDir);
    });

    it("applies each version once per database, and a changed column as the next version", async function () {
        // Plain `create table`: a second run of version 1 would fail.
        const v1 = "create table flow_nexus.test_widgets (id int primary key)";
        const v2 = "alter table flow_nexus.test_widgets add column label text not null default ''";
        await withDatabase(dataDir, (c) => migratePlatform(c, "test-widgets", [v1]));
        await withDatabase(dataDir, (c) => migratePlatform(c, "test-widgets", [v1]));
        await withDatabase(dataDir, (c) => migratePlatform(c, "test-widgets", [v1, v2]));
        await withDatabase(dataDir, (c) => migratePlatform(c, "test-widgets", [v1, v2]));
        const { rows } = await withDatabase(dataDir, (c) =>
            c.query("select version from flow_nexus.platform_migrations where component = 'test-widgets' order by version"),
        );
        assert.deepEqual(rows.map((r) => r.version), [1, 2]);
        const columns = await withDatabase(dataDir, (c) =>
            c.query("select column_name from information_schema.columns where table_schema = 'flow_nexus' and table_name = 'test_widgets' order by ordinal_position"),
        );
        assert.deepEqual(columns.rows.map((r) => r.column_name), ["id", "label"]);
    });
});
