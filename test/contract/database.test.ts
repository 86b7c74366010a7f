/**
 * Contract: the cloud database (`flow-nexus:databaseUrl`) through node-postgres,
 * with a real PostgreSQL standing in for the Supabase project's: the same
 * SQL as locally for DatabaseSchema, RealtimeSubscription and the audit log,
 * and the database's documented failures (refused credentials, no
 * connections left, unreachable, no such database) mapped to what to do.
 */
import { strict as assert } from "assert";
import { Inputs as RealtimeInputs, Outputs as RealtimeOutputs, provider as realtimeProvider } from "../../providers/realtime/resource";
import { readAuditLog } from "../../providers/runtime/audit";
import { setCredentials } from "../../providers/runtime/credentials";
import { ensureGateway } from "../../providers/runtime/gateway";
import { withDatabase } from "../../providers/runtime/postgres";
import { Inputs as SchemaInputs, Outputs as SchemaOutputs, provider as schemaProvider } from "../../providers/schema/resource";
import { rejection } from "../support";
import { checked, CLOUD, cloudDatabase, engine, stackConfig, tagsOf } from "./support";

describe("contract: the cloud database (Postgres at flow-nexus:databaseUrl)", function () {
    this.timeout(60_000);
    const schemas = engine<SchemaInputs, SchemaOutputs>(schemaProvider);
    const subscriptions = engine<RealtimeInputs, RealtimeOutputs>(realtimeProvider);
    let db: Awaited<ReturnType<typeof cloudDatabase>>;
    let realtime: Awaited<ReturnType<typeof ensureGateway>>;
    let names = 0;

    const MESSAGES = { id: "001-messages", sql: "create table messages (id serial primary key, body text not null)" };
    const schemaInputs = (overrides: Partial<SchemaInputs> = {}) =>
        checked(schemas, { schema: `app_${++names}`, migrations: [MESSAGES], backend: CLOUD, tags: tagsOf("DatabaseSchema", `schema${names}`), ...overrides } as SchemaInputs);
    const query = (sql: string, params: unknown[] = []) => withDatabase(CLOUD, async (c) => (await c.query(sql, params)).rows);

    before(async function () {
        db = await cloudDatabase();
        // Supabase Realtime's stand-in over this database: the gateway, which speaks Realtime's protocol as
        // @supabase/realtime-js does (test/providers/gateway.test.ts proves it with the official client).
        realtime = await ensureGateway(db.dataDir);
        await schemas.configure(stackConfig({ databaseUrl: db.url, supabaseUrl: realtime.url, supabaseServiceRoleKey: realtime.serviceRoleKey }));
    });

    after(async function () {
        setCredentials({});
        await db?.stop();
    });

    it("DatabaseSchema: applies, appends, reads after an out-of-band drop, replaces on a new name, and deletes", async function () {
        const { id, outs } = await schemas.create(await schemaInputs());
        assert.deepEqual(await query("select table_name from information_schema.tables where table_schema = $1", [id]), [{ table_name: "messages" }]);
        const appended = await schemaInputs({ schema: id, tags: outs!.tags, migrations: [MESSAGES, { id: "002-author", sql: "alter table messages add column author text" }] });
        assert.deepEqual((await schemas.diff(id, outs!, appended)).replaces, []);
        const updated = (await schemas.update(id, outs!, appended)).outs!;
        assert.deepEqual(updated.applied, ["001-messages", "002-author"]);
        assert.deepEqual((await schemas.diff(id, updated, { ...appended, schema: "other" })).replaces, ["schema"]);

        await query(`drop schema "${id}" cascade`);
        assert.deepEqual(await schemas.read(id, updated), {});
        await schemas.delete(id, updated);
        const audit = (await readAuditLog(CLOUD)).filter((row) => row.urn === outs!.tags["flow-nexus:urn"]);
        assert.deepEqual(audit.map((row) => row.action), ["create", "update", "delete"]);
    });

    it("RealtimeSubscription: joins the supabase_realtime publication, changes events in place, and leaves it on delete", async function () {
        const schema = (await schemas.create(await schemaInputs())).outs!;
        const table = `${schema.schema}.messages`;
        const inputs = await checked(subscriptions, { table, events: ["INSERT"], backend: CLOUD, tags: tagsOf("RealtimeSubscription", `sub${names}`) } as RealtimeInputs);
        const { id, outs } = await subscriptions.create(inputs);
        assert.equal(outs!.active, true, "a probe row's change came back through Realtime");
        assert.deepEqual(await query("select 1 from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'flow_nexus' and tablename = 'realtime_probe'"), [{ "?column?": 1 }]);
        const published = () => query("select 1 from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = $1 and tablename = 'messages'", [schema.schema]);
        assert.equal((await published()).length, 1);
        const changed = (await subscriptions.update(id, outs!, { ...inputs, events: ["INSERT", "DELETE"] })).outs!;
        assert.deepEqual((await subscriptions.read(id, changed)).props!.events, ["INSERT", "DELETE"]);
        await subscriptions.delete(id, changed);
        assert.equal((await published()).length, 0);
        assert.deepEqual(await subscriptions.read(id, changed), {});
        await schemas.delete(schema.schema, schema);
    });

    describe("a project's own supabase_realtime publication: owned by another role, or FOR ALL TABLES", function () {
        let project: Awaited<ReturnType<typeof cloudDatabase>>;
        let tenantUrl: string;
        let gateway: Awaited<ReturnType<typeof ensureGateway>>;
        const asAdmin = (sql: string) => withDatabase(project.dataDir, (c) => c.query(sql));
        const configureAs = (url: string) => schemas.configure(stackConfig({ databaseUrl: url, supabaseUrl: gateway.url, supabaseServiceRoleKey: gateway.serviceRoleKey }));
        const subscriptionInputs = async (table: string) =>
            checked(subscriptions, { table, events: ["*"], backend: CLOUD, tags: tagsOf("RealtimeSubscription", `own${++names}`) } as RealtimeInputs);

        before(async function () {
            project = await cloudDatabase();
            gateway = await ensureGateway(project.dataDir);
            const url = new URL(project.url);
            // As on some Supabase projects: the publication belongs to an admin role, the connection is another role's.
            // What the gateway made for itself goes, so that the tenant makes (and owns) the platform's tables.
            await asAdmin(`drop schema flow_nexus cascade; drop publication supabase_realtime;
                           create role supabase_admin; create publication supabase_realtime; alter publication supabase_realtime owner to supabase_admin;
                           create role tenant login password 'tenant-password-0123'; grant create on database "${url.pathname.slice(1)}" to tenant`);
            url.username = "tenant";
            url.password = "tenant-password-0123";
            tenantUrl = url.href;
        });
        after(async function () {
            await schemas.configure(stackConfig({ databaseUrl: db.url, supabaseUrl: realtime.url, supabaseServiceRoleKey: realtime.serviceRoleKey }));
            await project?.stop();
        });

        it("owned by another role: create says which role owns it and what to grant, and makes nothing; granted, create and delete work", async function () {
            await configureAs(tenantUrl);
            const schema = (await schemas.create(await schemaInputs())).outs!;
            const table = `${schema.schema}.messages`;
            const inputs = await subscriptionInputs(table);
            const err = await rejection(() => subscriptions.create(inputs));
            assert.match(
                err.message,
                new RegExp(
                    `table ${table} must join the supabase_realtime publication, which role supabase_admin owns, and role tenant may not change it \\(must be owner of publication supabase_realtime\\): ` +
                        `run as supabase_admin \\(in the Supabase SQL editor: alter publication supabase_realtime add table ${table};\\), or let this role change it with: grant supabase_admin to tenant;`,
                ),
            );
            assert.deepEqual((await asAdmin("select count(*)::int as n from flow_nexus.realtime_subscriptions")).rows, [{ n: 0 }], "no subscription was recorded");

            await asAdmin("grant supabase_admin to tenant");
            const { id, outs } = await subscriptions.create(inputs);
            assert.equal(outs!.active, true);
            await asAdmin("revoke supabase_admin from tenant");
            const refused = await rejection(() => subscriptions.delete(id, outs!));
            assert.match(refused.message, new RegExp(`table ${table} must leave the supabase_realtime publication, .*alter publication supabase_realtime drop table ${table};`));
            assert.equal((await asAdmin(`select 1 from flow_nexus.realtime_subscriptions where id = '${id}'`)).rowCount, 1, "a refused delete keeps the subscription");
            await asAdmin("grant supabase_admin to tenant");
            await subscriptions.delete(id, outs!);
            assert.equal((await asAdmin(`select 1 from pg_publication_tables where schemaname = '${schema.schema}'`)).rowCount, 0);
            await schemas.delete(schema.schema, schema);
        });

        it("FOR ALL TABLES: create and delete work, and the table stays published, as every table is", async function () {
            await asAdmin("drop publication supabase_realtime; create publication supabase_realtime for all tables");
            await configureAs(project.url);
            const schema = (await schemas.create(await schemaInputs())).outs!;
            const table = `${schema.schema}.messages`;
            const { id, outs } = await subscriptions.create(await subscriptionInputs(table));
            assert.equal(outs!.active, true, "its changes come back");
            await subscriptions.delete(id, outs!);
            assert.equal((await asAdmin(`select 1 from pg_publication_tables where schemaname = '${schema.schema}' and tablename = 'messages'`)).rowCount, 1);
            assert.deepEqual(await subscriptions.read(id, outs!), {});
            await schemas.delete(schema.schema, schema);
        });
    });

    describe("failures, each naming flow-nexus:databaseUrl and never its password", function () {
        const withUrl = async (url: string, fn: () => Promise<unknown>) => {
            await schemas.configure(stackConfig({ databaseUrl: url }));
            try {
                return await rejection(fn);
            } finally {
                await schemas.configure(stackConfig({ databaseUrl: db.url }));
            }
        };
        const secretOf = (url: string) => decodeURIComponent(new URL(url).password);

        it("refused credentials (28P01)", async function () {
            const url = new URL(db.url);
            url.password = "not-the-password-0123456789";
            const err = await withUrl(url.href, async () => schemas.create(await schemaInputs()));
            assert.match(err.message, /connecting to the database of flow-nexus:databaseUrl failed: Postgres refused the credentials \(Postgres answered password authentication failed for user "postgres" \(28P01\)\)/);
            assert.match(err.message, /pulumi config set --secret flow-nexus:databaseUrl/);
            assert.doesNotMatch(err.message + err.stack, /not-the-password-0123456789/);
        });

        it("no connections left for the role (53300): rate-limited, run again later", async function () {
            await query("do $$ begin if not exists (select 1 from pg_roles where rolname = 'capped') then create role capped login password 'capped-password-0123' connection limit 0; end if; end $$");
            const url = new URL(db.url);
            url.username = "capped";
            url.password = "capped-password-0123";
            const err = await withUrl(url.href, async () => schemas.create(await schemaInputs()));
            assert.match(err.message, /Postgres is rate-limiting this account \(Postgres answered too many connections for role "capped" \(53300\)\)/);
            assert.doesNotMatch(err.message, /capped-password-0123/);
        });

        it("an unreachable server and a database that does not exist", async function () {
            const closed = new URL(db.url);
            closed.port = "1";
            const unreachable = await withUrl(closed.href, async () => schemas.create(await schemaInputs()));
            assert.match(unreachable.message, /failed: Postgres is unavailable \(Postgres answered connect ECONNREFUSED 127\.0\.0\.1:1 \(ECONNREFUSED\)\)/);
            assert.doesNotMatch(unreachable.message, new RegExp(secretOf(db.url)));
            const missing = new URL(db.url);
            missing.pathname = "/no_such_db";
            const err = await withUrl(missing.href, async () => schemas.create(await schemaInputs()));
            assert.match(err.message, /not found on Postgres \(Postgres answered database "no_such_db" does not exist \(3D000\)\)/);
        });
    });
});
