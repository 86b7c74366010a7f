/**
 * The platform's own tables (`flow_nexus.*`), by versioned migrations: each
 * part of the platform (the users table, the ledger, the audit log, …)
 * names its tables' migrations in order, and each is applied once per
 * database, recorded in `flow_nexus.platform_migrations`. A changed column is
 * the next migration of its part, never an edit of an applied one. A part
 * whose migrations are all applied costs one indexed select: no DDL runs, so
 * no `create index` waits on a table's writers.
 */
import type { ClientBase } from "pg";
import { transaction } from "./postgres";

/** Any fixed number: every change to the platform's tables (`flow_nexus.*`) runs under this advisory lock. */
export const DDL_LOCK = 7_146_233_901;

const VERSIONS = `
    create schema if not exists flow_nexus;
    create table if not exists flow_nexus.platform_migrations (
        component text not null,
        version int not null,
        applied_at timestamptz not null default now(),
        primary key (component, version)
    )`;

async function version(client: ClientBase, component: string): Promise<number> {
    const { rows } = await client.query<{ version: number | null }>(
        "select max(version) as version from flow_nexus.platform_migrations where component = $1",
        [component],
    );
    return rows[0].version ?? 0;
}

async function apply(client: ClientBase, component: string, migrations: readonly string[]): Promise<void> {
    const current = await version(client, component).catch((err: { code?: string }) => {
        // No schema or no version table yet: a fresh database.
        if (err.code === "42P01" || err.code === "3F000") return 0;
        throw err;
    });
    if (current >= migrations.length) return;
    await transaction(client, async () => {
        await client.query("select pg_advisory_xact_lock($1)", [DDL_LOCK]);
        await client.query(VERSIONS);
        // Under the lock, another process may have applied some since.
        for (let v = (await version(client, component)) + 1; v <= migrations.length; v++) {
            await client.query(migrations[v - 1]);
            await client.query("insert into flow_nexus.platform_migrations (component, version) values ($1, $2)", [component, v]);
        }
    });
}

/**
 * Brings `component`'s tables to their latest version: `migrations[i]` is
 * version i + 1, applied in order, each once per database.
 */
export function migratePlatform(client: ClientBase, component: string, migrations: readonly string[]): Promise<void> {
    return apply(client, component, migrations);
}
