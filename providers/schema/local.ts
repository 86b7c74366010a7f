/**
 * The DatabaseSchema backend, local and cloud alike: migrations run in the
 * backend's platform database (the stack's embedded Postgres, or
 * `flow-nexus:databaseUrl`; `withDatabase` picks it by the backend's kind),
 * each in its own transaction, and are recorded with a checksum in
 * flow_nexus.schema_migrations.
 */
import { createHash } from "crypto";
import type { ClientBase } from "pg";
import { ensureApiRoles } from "../runtime/api-roles";
import { migratePlatform } from "../runtime/platform-tables";
import { withDatabase } from "../runtime/postgres";
import { databaseDown } from "../runtime/postgres-server";
import type { Inputs, Migration, Outputs, SchemaBackend } from "./schema";

/** The platform's record of each schema: version 1 its migrations, version 2 its forceDestroy by URN. */
const TABLES = [
    `create table if not exists flow_nexus.schema_migrations (
        schema text not null,
        id text not null,
        position int not null,
        checksum text not null,
        applied_at timestamptz not null default now(),
        primary key (schema, id)
    )`,
    `create table if not exists flow_nexus.schema_settings (
        urn text not null,
        schema text not null,
        force_destroy boolean not null,
        updated_at timestamptz not null default clock_timestamp(),
        primary key (urn, schema)
    )`,
];

export function migrationChecksum(m: Migration): string {
    return createHash("sha256").update(m.id).update("\0").update(m.sql).digest("hex");
}

function outputs(inputs: Inputs, applied: Migration[]): Outputs {
    const hash = createHash("sha256");
    for (const m of applied) hash.update(migrationChecksum(m));
    return { ...inputs, applied: applied.map((m) => m.id), version: applied.at(-1)?.id ?? "", checksum: hash.digest("hex") };
}

async function recorded(client: ClientBase, schema: string): Promise<Map<string, string>> {
    const { rows } = await client.query<{ id: string; checksum: string }>(
        "select id, checksum from flow_nexus.schema_migrations where schema = $1 order by position",
        [schema],
    );
    return new Map(rows.map((r) => [r.id, r.checksum]));
}

/** Applies what is not applied yet; an applied migration whose SQL differs is refused. */
async function migrate(client: ClientBase, inputs: Inputs): Promise<Outputs> {
    await migratePlatform(client, "schema", TABLES);
    // Migrations may grant to anon, authenticated and service_role, as on Supabase.
    if (inputs.backend.kind === "local") await ensureApiRoles(client);
    await client.query(`create schema if not exists "${inputs.schema}"`);
    // The resource's latest forceDestroy, kept by its URN: a replacement's
    // create runs before the old schema's delete, which sees only its old state.
    await client.query(
        `insert into flow_nexus.schema_settings (urn, schema, force_destroy) values ($1, $2, $3)
         on conflict (urn, schema) do update set force_destroy = excluded.force_destroy, updated_at = clock_timestamp()`,
        [inputs.tags["flow-nexus:urn"], inputs.schema, inputs.forceDestroy ?? false],
    );
    const done = await recorded(client, inputs.schema);
    let ran = false;
    for (const [position, m] of inputs.migrations.entries()) {
        const checksum = migrationChecksum(m);
        const appliedChecksum = done.get(m.id);
        if (appliedChecksum === checksum) continue;
        if (appliedChecksum) {
            throw new Error(`migration ${m.id} of schema ${inputs.schema} was applied with different SQL; it is left as it was`);
        }
        await client.query("begin");
        try {
            await client.query(`set local search_path to "${inputs.schema}", public`);
            await client.query(m.sql);
            await client.query(
                "insert into flow_nexus.schema_migrations (schema, id, position, checksum) values ($1, $2, $3, $4)",
                [inputs.schema, m.id, position, checksum],
            );
            await client.query("commit");
        } catch (err) {
            await client.query("rollback");
            throw new Error(`migration ${m.id} of schema ${inputs.schema} failed and was rolled back: ${(err as Error).message}`);
        }
        ran = true;
    }
    // The connection goes back to its pool (runtime/postgres): what the
    // user's SQL set for the session (a role, a search_path, a temporary
    // table) must not follow it into the next use.
    if (ran) await client.query("discard all");
    return outputs(inputs, inputs.migrations);
}

export const backend: SchemaBackend = {
    down: (_id, state) => databaseDown(state.backend),

    create: (inputs) => withDatabase(inputs.backend, (client) => migrate(client, inputs)),

    async read(_id, state) {
        return withDatabase(state.backend, async (client) => {
            await migratePlatform(client, "schema", TABLES);
            const exists = await client.query("select 1 from pg_namespace where nspname = $1", [state.schema]);
            if (exists.rowCount === 0) return undefined;
            // Report what the database has applied: a migration record lost
            // out of band shows as drift in `migrations`.
            const done = await recorded(client, state.schema);
            const applied = state.migrations.filter((m) => done.get(m.id) === migrationChecksum(m));
            return outputs({ ...state, migrations: applied }, applied);
        });
    },

    update: (_id, _olds, news) => withDatabase(news.backend, (client) => migrate(client, news)),

    async delete(_id, state) {
        await withDatabase(state.backend, async (client) => {
            await migratePlatform(client, "schema", TABLES);
            await client.query(`drop schema if exists "${state.schema}" cascade`);
            await client.query("delete from flow_nexus.schema_migrations where schema = $1", [state.schema]);
            await client.query("delete from flow_nexus.schema_settings where urn = $1 and schema = $2", [state.tags["flow-nexus:urn"], state.schema]);
        });
    },

    async held(state) {
        return withDatabase(state.backend, async (client) => {
            const counts = await rowCounts(client, state.schema);
            const total = counts.reduce((sum, t) => sum + t.rows, 0);
            if (total === 0) return undefined;
            const tables = counts.filter((t) => t.rows > 0).map((t) => `${t.table}: ${t.rows}`);
            return `schema ${state.schema} holds ${total} row${total === 1 ? "" : "s"} (${tables.join(", ")})`;
        });
    },

    async forced(state) {
        return withDatabase(state.backend, async (client) => {
            await migratePlatform(client, "schema", TABLES);
            const { rows } = await client.query<{ force_destroy: boolean }>(
                "select force_destroy from flow_nexus.schema_settings where urn = $1 order by updated_at desc limit 1",
                [state.tags["flow-nexus:urn"]],
            );
            return rows[0]?.force_destroy === true;
        });
    },
};

/** The rows of each table of `schema`, counted exactly (a gone schema has none). */
async function rowCounts(client: ClientBase, schema: string): Promise<Array<{ table: string; rows: number }>> {
    const { rows: tables } = await client.query<{ name: string }>(
        `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = $1 and c.relkind in ('r', 'p') and not c.relispartition order by c.relname`,
        [schema],
    );
    const counts = [];
    for (const { name } of tables) {
        const quoted = `"${schema}"."${name.replace(/"/g, '""')}"`;
        const { rows } = await client.query<{ n: string }>(`select count(*) as n from ${quoted}`);
        counts.push({ table: name, rows: Number(rows[0].n) });
    }
    return counts;
}
