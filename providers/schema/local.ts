/**
 * The DatabaseSchema backend, local and cloud alike: migrations run in the
 * backend's platform database (the stack's embedded Postgres, or
 * `flow-nexus:databaseUrl`; `withDatabase` picks it by the backend's kind),
 * each in its own transaction, and are recorded with a checksum in
 * flow_nexus.schema_migrations.
 */
import { createHash } from "crypto";
import type { Client } from "pg";
import { createTables, withDatabase } from "../runtime/postgres";
import type { Inputs, Migration, Outputs, SchemaBackend } from "./resource";

const TABLE = `
    create schema if not exists flow_nexus;
    create table if not exists flow_nexus.schema_migrations (
        schema text not null,
        id text not null,
        position int not null,
        checksum text not null,
        applied_at timestamptz not null default now(),
        primary key (schema, id)
    )`;

export function migrationChecksum(m: Migration): string {
    return createHash("sha256").update(m.id).update("\0").update(m.sql).digest("hex");
}

function outputs(inputs: Inputs, applied: Migration[]): Outputs {
    const hash = createHash("sha256");
    for (const m of applied) hash.update(migrationChecksum(m));
    return { ...inputs, applied: applied.map((m) => m.id), version: applied.at(-1)?.id ?? "", checksum: hash.digest("hex") };
}

async function recorded(client: Client, schema: string): Promise<Map<string, string>> {
    const { rows } = await client.query<{ id: string; checksum: string }>(
        "select id, checksum from flow_nexus.schema_migrations where schema = $1 order by position",
        [schema],
    );
    return new Map(rows.map((r) => [r.id, r.checksum]));
}

/** Applies what is not applied yet; an applied migration whose SQL differs is refused. */
async function migrate(client: Client, inputs: Inputs): Promise<Outputs> {
    await createTables(client, TABLE, ["flow_nexus.schema_migrations"]);
    await client.query(`create schema if not exists "${inputs.schema}"`);
    const done = await recorded(client, inputs.schema);
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
    }
    return outputs(inputs, inputs.migrations);
}

export const backend: SchemaBackend = {
    create: (inputs) => withDatabase(inputs.backend, (client) => migrate(client, inputs)),

    async read(_id, state) {
        return withDatabase(state.backend, async (client) => {
            await createTables(client, TABLE, ["flow_nexus.schema_migrations"]);
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
            await createTables(client, TABLE, ["flow_nexus.schema_migrations"]);
            await client.query(`drop schema if exists "${state.schema}" cascade`);
            await client.query("delete from flow_nexus.schema_migrations where schema = $1", [state.schema]);
        });
    },
};
