/**
 * Realtime proved by a round trip: a probe row is inserted into
 * `flow_nexus.realtime_probe` (a platform table in the `supabase_realtime`
 * publication) and its INSERT must come back through the realtime server,
 * over a WebSocket, as an app would receive it. The phase 2 gate (a
 * subscription's `active`) and `flow-nexus status` both ask this.
 */
import { randomBytes } from "crypto";
import { DDL_LOCK } from "./platform-tables";
import { joinPublication, PUBLICATION } from "./publication";

export const PROBE_SCHEMA = "flow_nexus";
export const PROBE_TABLE = "realtime_probe";


/**
 * The probe table and its place in the publication, with the service role
 * allowed to read it (Supabase Realtime sends a change only to a role that
 * may select the row). One transaction (a single query), serialized with
 * the platform's other tables and with the RealtimeSubscription backend,
 * which adds tables to the publication too: two subscriptions created at
 * once would otherwise both create the table. A publication FOR ALL TABLES
 * already holds it; one another role owns stops it with what to grant
 * (./publication).
 */
const PROBE_SETUP = `
    select pg_advisory_xact_lock(${DDL_LOCK});
    select pg_advisory_xact_lock(hashtext('${PUBLICATION}'));
    create schema if not exists ${PROBE_SCHEMA};
    create table if not exists ${PROBE_SCHEMA}.${PROBE_TABLE} (id text primary key, at timestamptz not null default now());
    alter table ${PROBE_SCHEMA}.${PROBE_TABLE} replica identity full;
    ${joinPublication(`${PROBE_SCHEMA}.${PROBE_TABLE}`)};
    do $$ begin
        if exists (select 1 from pg_roles where rolname = 'service_role') then
            grant usage on schema ${PROBE_SCHEMA} to service_role;
            grant select on ${PROBE_SCHEMA}.${PROBE_TABLE} to service_role;
        end if;
    end $$`;

/** Makes the probe table, and its place in the publication, when missing. */
export async function ensureProbe(db: { query(sql: string): Promise<unknown> }): Promise<void> {
    await db.query(PROBE_SETUP);
}

/** How a round trip went: its time, or why it failed. */
export type RoundTrip = { ok: true; ms: number } | { ok: false; error: string };

/**
 * Joins the probe table's changes at `url` (a Supabase URL: the gateway's,
 * or a project's) with `key`, inserts a probe row through `db`, and waits up
 * to `timeoutMs` for that row's INSERT to arrive; old probe rows go after.
 */
export async function realtimeRoundTrip(url: string, key: string, db: { query(sql: string, values?: unknown[]): Promise<unknown> }, timeoutMs = 5000): Promise<RoundTrip> {
    const table = `${PROBE_SCHEMA}.${PROBE_TABLE}`;
    const trip = await roundTrip(url, key, (id) => db.query(`insert into ${table} (id) values ($1)`, [id]).then(() => undefined), timeoutMs);
    await db.query(`delete from ${table} where at < now() - interval '10 seconds'`);
    return trip;
}

async function roundTrip(url: string, key: string, insert: (id: string) => Promise<void>, timeoutMs = 5000): Promise<RoundTrip> {
    // Loaded on first use: a provider process that only diffs opens no socket.
    const { default: WebSocket } = await import("ws");
    const id = `probe-${randomBytes(6).toString("hex")}`;
    const topic = `realtime:flow-nexus-probe-${id}`;
    const socketUrl = `${url.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=${encodeURIComponent(key)}&vsn=2.0.0`;
    return new Promise<RoundTrip>((resolve) => {
        const socket = new WebSocket(socketUrl);
        let started = 0;
        const finish = (result: RoundTrip) => {
            clearTimeout(timer);
            socket.removeAllListeners();
            socket.on("error", () => {});
            socket.terminate();
            resolve(result);
        };
        const timer = setTimeout(
            () => finish({ ok: false, error: started ? `the probe row's INSERT did not arrive within ${timeoutMs} ms` : `no realtime join within ${timeoutMs} ms` }),
            timeoutMs,
        );
        socket.on("error", (err) => finish({ ok: false, error: `realtime at ${url} is unreachable: ${err.message}` }));
        socket.on("open", () => {
            const config = { postgres_changes: [{ event: "INSERT", schema: PROBE_SCHEMA, table: PROBE_TABLE, filter: `id=eq.${id}` }] };
            socket.send(JSON.stringify(["1", "1", topic, "phx_join", { config, access_token: key }]));
        });
        socket.on("message", (data) => {
            const [, ref, , event, payload] = JSON.parse(String(data)) as [string | null, string | null, string, string, Record<string, any>];
            if (event === "phx_reply" && ref === "1") {
                if (payload.status !== "ok") return finish({ ok: false, error: `realtime refused the probe's join: ${JSON.stringify(payload.response)}` });
                started = Date.now();
                insert(id).catch((err: Error) => finish({ ok: false, error: `the probe row could not be written: ${err.message}` }));
            }
            if (event === "postgres_changes" && payload.data?.record?.id === id) finish({ ok: true, ms: Date.now() - started });
        });
    });
}
