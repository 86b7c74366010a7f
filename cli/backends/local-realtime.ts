/**
 * A local stack's realtime changes, received as an app receives them: with
 * @supabase/supabase-js, through the stack's gateway, on the subscription's
 * table, events and filter. Nothing is started: a gateway that is not
 * running is an error that says so.
 */
import { createClient } from "@supabase/supabase-js";
import WebSocket from "ws";
import { gatewayKeys, gatewayProcess } from "../../providers/runtime/gateway";
import { withDatabase } from "../../providers/runtime/postgres";
import { postgresRunning } from "../../providers/runtime/postgres-server";
import { CliError, ExitCode } from "../errors";
import type { ChangeEvent, ChangeTail } from "./types";

export async function tailLocalChanges(dataDir: string, subscriptionId: string, onChange: (event: ChangeEvent) => void): Promise<ChangeTail> {
    if (!postgresRunning(dataDir)) throw new CliError("the stack's PostgreSQL is not running: run pulumi up (or any billing command) to start it", ExitCode.ServiceDown);
    const [row] = await withDatabase(dataDir, async (client) => {
        const { rows } = await client.query<{ table_name: string; events: string[]; filter: string | null }>(
            "select table_name, events, filter from flow_nexus.realtime_subscriptions where id = $1",
            [subscriptionId],
        );
        return rows;
    }).catch(() => []);
    if (!row) throw new CliError(`subscription ${subscriptionId} is gone: run pulumi refresh, then pulumi up`, ExitCode.ServiceDown);
    const gateway = await gatewayProcess(dataDir);
    if (!gateway) throw new CliError("the stack's gateway is not running: the monitor's watchdog, or the next pulumi up, starts it again", ExitCode.ServiceDown);
    const client = createClient(gateway.url, (await gatewayKeys(dataDir)).serviceRoleKey, {
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
