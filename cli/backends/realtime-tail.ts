/**
 * A subscription's changes, received as an app receives them: with
 * @supabase/supabase-js, from the realtime server at `url` (the stack's
 * gateway locally, Supabase Realtime on the cloud), on the subscription's
 * table, events and filter as the platform database records them.
 */
import { createClient } from "@supabase/supabase-js";
import WebSocket from "ws";
import { DatabaseRef, withDatabase } from "../../providers/runtime/postgres";
import { CliError, ExitCode } from "../errors";
import type { ChangeEvent, ChangeTail } from "./types";

export async function tailChangesAt(
    db: DatabaseRef,
    realtime: { url: string; key: string },
    subscriptionId: string,
    onChange: (event: ChangeEvent) => void,
): Promise<ChangeTail> {
    const [row] = await withDatabase(db, async (client) => {
        const { rows } = await client.query<{ table_name: string; events: string[]; filter: string | null }>(
            "select table_name, events, filter from flow_nexus.realtime_subscriptions where id = $1",
            [subscriptionId],
        );
        return rows;
    }).catch(() => []);
    if (!row) throw new CliError(`subscription ${subscriptionId} is gone: run pulumi refresh, then pulumi up`, ExitCode.ServiceDown);
    const client = createClient(realtime.url, realtime.key, {
        auth: { persistSession: false, autoRefreshToken: false },
        realtime: { transport: WebSocket as never },
    });
    const [schema, table] = row.table_name.split(".");
    const event = row.events.length === 1 ? row.events[0] : "*";
    const wanted = (type: string) => row.events.includes("*") || row.events.includes(type);
    const channel = client.channel(`flow-nexus-tail-${subscriptionId}`);
    channel.on("postgres_changes", { event: event as "*", schema, table, ...(row.filter ? { filter: row.filter } : {}) }, (change) => {
        if (!wanted(change.eventType)) return;
        onChange({ at: change.commit_timestamp, type: change.eventType, table: row.table_name, new: change.new, old: change.old });
    });
    await new Promise<void>((resolve, reject) => {
        channel.subscribe((status, err) => {
            if (status === "SUBSCRIBED") resolve();
            else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT") reject(new CliError(`realtime refused the subscription: ${err?.message ?? status}`, ExitCode.ServiceDown));
        });
    });
    return {
        table: row.table_name,
        filter: row.filter ?? undefined,
        async stop() {
            await client.removeAllChannels();
        },
    };
}
