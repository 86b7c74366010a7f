/**
 * The RealtimeSubscription backend, local and cloud alike, as Supabase does
 * it: the table joins the `supabase_realtime` publication (with `replica
 * identity full`, so updates and deletes carry the old row), and the
 * subscription's events and filter are kept in
 * flow_nexus.realtime_subscriptions. On the cloud backend this is the
 * Supabase project's own publication, reached through `flow-nexus:databaseUrl`
 * (`withDatabase` picks the database by the backend's kind). `active` means a
 * change really comes back: a probe row's round trip through the stack's
 * gateway or Supabase Realtime (../runtime/realtime-probe). A publication
 * FOR ALL TABLES, or one another role owns, is handled as
 * ../runtime/publication says.
 */
import { randomBytes } from "crypto";
import type { ClientBase } from "pg";
import { migratePlatform } from "../runtime/platform-tables";
import { joinPublication, leavePublication, PUBLICATION } from "../runtime/publication";
import { transaction, withDatabase } from "../runtime/postgres";
import { ensureGateway } from "../runtime/gateway";
import { databaseDown } from "../runtime/postgres-server";
import { requireCredential } from "../runtime/credentials";
import { ensureProbe, realtimeRoundTrip } from "../runtime/realtime-probe";
import type { Inputs, Outputs, SubscriptionBackend } from "./schema";

const TABLE = `
    create table if not exists flow_nexus.realtime_subscriptions (
        id text primary key,
        table_name text not null,
        events text[] not null,
        filter text,
        urn text not null
    )`;

function quoted(table: string): string {
    return table
        .split(".")
        .map((part) => `"${part}"`)
        .join(".");
}

async function inPublication(client: ClientBase, table: string): Promise<boolean> {
    const [schema, name] = table.split(".");
    const { rowCount } = await client.query(
        "select 1 from pg_publication_tables where pubname = $1 and schemaname = $2 and tablename = $3",
        [PUBLICATION, schema, name],
    );
    return (rowCount ?? 0) > 0;
}

async function publish(client: ClientBase, table: string): Promise<void> {
    const [schema, name] = table.split(".");
    const exists = await client.query("select 1 from pg_tables where schemaname = $1 and tablename = $2", [schema, name]);
    if (exists.rowCount === 0) {
        throw new Error(`table ${table} does not exist: create it in a DatabaseSchema migration, and make the subscription depend on it`);
    }
    // Serialized: two subscriptions created at once would both create the
    // publication, or both add the same table.
    await transaction(client, async () => {
        await client.query("select pg_advisory_xact_lock(hashtext($1))", [PUBLICATION]);
        await client.query(joinPublication(table));
        await client.query(`alter table ${quoted(table)} replica identity full`);
    });
}

/** Who serves the changes: locally the stack's gateway, on the cloud Supabase Realtime, with the service-role key. */
async function realtimeAt(inputs: Inputs): Promise<{ url: string; key: string; where: string }> {
    if (inputs.backend.kind === "local") {
        const gateway = await ensureGateway(inputs.backend.dataDir!);
        return { url: gateway.url, key: gateway.serviceRoleKey, where: "the stack's gateway (its log: flow-nexus logs gateway)" };
    }
    const url = requireCredential("supabaseUrl");
    return { url, key: requireCredential("supabaseServiceRoleKey"), where: `Supabase Realtime at ${url}` };
}

/**
 * Whether a change really comes back: a probe row's INSERT, round trip,
 * through the stack's gateway (locally) or Supabase Realtime (cloud), over a
 * WebSocket as an app receives it. Undefined when it does, else why not.
 */
async function roundTripFails(client: ClientBase, inputs: Inputs): Promise<string | undefined> {
    await ensureProbe(client);
    const realtime = await realtimeAt(inputs);
    const trip = await realtimeRoundTrip(realtime.url, realtime.key, client);
    return trip.ok ? undefined : `${trip.error}, from ${realtime.where}`;
}

async function active(client: ClientBase, inputs: Inputs): Promise<boolean> {
    return (await inPublication(client, inputs.table)) && (await roundTripFails(client, inputs)) === undefined;
}

async function save(client: ClientBase, id: string, inputs: Inputs): Promise<Outputs> {
    await client.query(
        `insert into flow_nexus.realtime_subscriptions (id, table_name, events, filter, urn) values ($1, $2, $3, $4, $5)
         on conflict (id) do update set events = excluded.events, filter = excluded.filter, urn = excluded.urn`,
        [id, inputs.table, inputs.events, inputs.filter ?? null, inputs.tags["flow-nexus:urn"]],
    );
    // A subscription whose changes do not come back is not made.
    const failed = await roundTripFails(client, inputs);
    if (failed) throw new Error(`realtime does not deliver changes: ${failed}`);
    return { ...inputs, subscriptionId: id, active: await inPublication(client, inputs.table) };
}

export const backend: SubscriptionBackend = {
    down: (_id, state) => databaseDown(state.backend),

    async create(inputs) {
        return withDatabase(inputs.backend, async (client) => {
            await migratePlatform(client, "realtime", [TABLE]);
            await publish(client, inputs.table);
            // One this resource made before an interrupted run is adopted.
            const { rows } = await client.query<{ id: string }>(
                "select id from flow_nexus.realtime_subscriptions where urn = $1 and table_name = $2",
                [inputs.tags["flow-nexus:urn"], inputs.table],
            );
            return save(client, rows[0]?.id ?? `sub-${randomBytes(6).toString("hex")}`, inputs);
        });
    },

    async read(id, state) {
        return withDatabase(state.backend, async (client) => {
            await migratePlatform(client, "realtime", [TABLE]);
            const { rows } = await client.query<{ events: Inputs["events"]; filter: string | null }>(
                "select events, filter from flow_nexus.realtime_subscriptions where id = $1",
                [id],
            );
            if (!rows[0]) return undefined;
            const { events, filter } = rows[0];
            return { ...state, events, filter: filter ?? undefined, active: await active(client, state) };
        });
    },

    async update(id, _olds, news) {
        return withDatabase(news.backend, async (client) => {
            await migratePlatform(client, "realtime", [TABLE]);
            await publish(client, news.table);
            return save(client, id, news);
        });
    },

    async delete(id, state) {
        await withDatabase(state.backend, async (client) => {
            await migratePlatform(client, "realtime", [TABLE]);
            // One transaction: a publication this role may not change keeps the subscription too.
            await transaction(client, async () => {
                await client.query("select pg_advisory_xact_lock(hashtext($1))", [PUBLICATION]);
                await client.query("delete from flow_nexus.realtime_subscriptions where id = $1", [id]);
                const others = await client.query("select 1 from flow_nexus.realtime_subscriptions where table_name = $1", [state.table]);
                const [schema, name] = state.table.split(".");
                const tableExists = await client.query("select 1 from pg_tables where schemaname = $1 and tablename = $2", [schema, name]);
                // The table leaves the publication with its last subscription.
                if (others.rowCount === 0 && tableExists.rowCount !== 0) await client.query(leavePublication(state.table));
            });
        });
    },
};
