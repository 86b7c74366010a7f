/**
 * Realtime (`/realtime/v1/websocket`): Phoenix channels as
 * @supabase/realtime-js speaks them (vsn 2.0.0 frames `[join_ref, ref,
 * topic, event, payload]`; 1.0.0 objects too), serving `postgres_changes`
 * from the stack's change stream (./changes). A join names its bindings
 * (event, schema, table, filter); the reply gives each an id, and each
 * change goes to the bindings it matches, within what the table's
 * RealtimeSubscriptions deliver (their events and filters). Broadcast and
 * presence are acknowledged and not served.
 */
import type { IncomingMessage } from "http";
import type { Duplex } from "stream";
import { WebSocket, WebSocketServer } from "ws";
import { verifyJwt } from "../providers/runtime/jwt";
import { PROBE_SCHEMA, PROBE_TABLE } from "../providers/runtime/realtime-probe";
import type { Change, ChangeFeed } from "./changes";
import { passes } from "./filter";
import type { Context } from "./http";

interface Binding {
    id: number;
    event: string;
    schema: string;
    table: string;
    filter?: string;
}

interface Channel {
    joinRef: string | null;
    bindings: Binding[];
}

/** What the table's RealtimeSubscriptions deliver: their events and filters. */
interface Subscription {
    events: string[];
    filter: string | null;
}

const isProbe = (t: { schema: string; table: string }) => t.schema === PROBE_SCHEMA && t.table === PROBE_TABLE;

type Frame = { joinRef: string | null; ref: string | null; topic: string; event: string; payload: Record<string, unknown> };

let nextId = 1;

function decode(text: string, vsn: string): Frame | undefined {
    try {
        const parsed = JSON.parse(text) as unknown;
        if (vsn.startsWith("2") && Array.isArray(parsed)) {
            const [joinRef, ref, topic, event, payload] = parsed as [string | null, string | null, string, string, Record<string, unknown>];
            return { joinRef, ref, topic, event, payload: payload ?? {} };
        }
        const o = parsed as { join_ref?: string; ref?: string; topic: string; event: string; payload?: Record<string, unknown> };
        return { joinRef: o.join_ref ?? null, ref: o.ref ?? null, topic: o.topic, event: o.event, payload: o.payload ?? {} };
    } catch {
        return undefined;
    }
}

function encode(frame: Frame, vsn: string): string {
    const { joinRef, ref, topic, event, payload } = frame;
    return vsn.startsWith("2") ? JSON.stringify([joinRef, ref, topic, event, payload]) : JSON.stringify({ join_ref: joinRef, ref, topic, event, payload });
}

/** One client's socket: its channels, its token. */
class Connection {
    readonly channels = new Map<string, Channel>();

    constructor(
        private readonly socket: WebSocket,
        private readonly vsn: string,
        private token: string | undefined,
        private readonly ctx: Context,
        private readonly subscriptions: (schema: string, table: string) => Promise<Subscription[]>,
    ) {
        socket.on("message", (data) => void this.receive(String(data)));
    }

    send(frame: Frame): void {
        if (this.socket.readyState === WebSocket.OPEN) this.socket.send(encode(frame, this.vsn));
    }

    private reply(frame: Frame, status: "ok" | "error", response: Record<string, unknown>): void {
        this.send({ joinRef: frame.joinRef, ref: frame.ref, topic: frame.topic, event: "phx_reply", payload: { status, response } });
    }

    private async receive(text: string): Promise<void> {
        const frame = decode(text, this.vsn);
        if (!frame) return;
        if (frame.topic === "phoenix" && frame.event === "heartbeat") return this.reply(frame, "ok", {});
        switch (frame.event) {
            case "phx_join":
                return this.join(frame);
            case "phx_leave":
                this.channels.delete(frame.topic);
                return this.reply(frame, "ok", {});
            case "access_token":
                if (typeof frame.payload.access_token === "string") this.token = frame.payload.access_token;
                return this.reply(frame, "ok", {});
            default:
                // broadcast, presence: acknowledged, not served.
                return this.reply(frame, "ok", {});
        }
    }

    private async join(frame: Frame): Promise<void> {
        const token = typeof frame.payload.access_token === "string" ? frame.payload.access_token : this.token;
        const verified = token ? await verifyJwt(this.ctx.secret, token) : { error: "no API key or access token" };
        if ("error" in verified) return this.reply(frame, "error", { reason: verified.error });
        this.token = token;
        const config = (frame.payload.config ?? {}) as { postgres_changes?: Array<Omit<Binding, "id">> };
        const asked = config.postgres_changes ?? [];
        const bindings: Binding[] = [];
        for (const b of asked) {
            if (isProbe(b)) {
                // The platform's own round trip (providers/runtime/realtime-probe), for the service role only.
                if (verified.claims.role !== "service_role") return this.reply(frame, "error", { reason: `${PROBE_SCHEMA}.${PROBE_TABLE} is the platform's own` });
            } else if ((await this.subscriptions(b.schema, b.table)).length === 0) {
                return this.reply(frame, "error", {
                    reason: `${b.schema}.${b.table} has no RealtimeSubscription: create one for the table to receive its changes`,
                });
            }
            bindings.push({ ...b, id: nextId++ });
        }
        this.channels.set(frame.topic, { joinRef: frame.joinRef, bindings });
        this.reply(frame, "ok", { postgres_changes: bindings.map(({ id, event, schema, table, filter }) => ({ id, event, schema, table, filter })) });
        if (bindings.length > 0) {
            this.send({
                joinRef: null,
                ref: null,
                topic: frame.topic,
                event: "system",
                payload: { channel: frame.topic.replace(/^realtime:/, ""), extension: "postgres_changes", message: "Subscribed to PostgreSQL", status: "ok" },
            });
        }
    }

    /** Sends `change` to each of this socket's channels it matches. */
    deliver(change: Change): void {
        for (const [topic, channel] of this.channels) {
            const ids = channel.bindings
                .filter((b) => b.schema === change.schema && b.table === change.table)
                .filter((b) => b.event === "*" || b.event.toUpperCase() === change.type)
                .filter((b) => passes(b.filter, change.record ?? change.old_record))
                .map((b) => b.id);
            if (ids.length > 0) this.send({ joinRef: null, ref: null, topic, event: "postgres_changes", payload: { ids, data: change } });
        }
    }
}

/** The realtime server: call its `upgrade` for each WebSocket upgrade request on its path. */
export function realtimeServer(ctx: Context, feed: ChangeFeed): { upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void; close(): void } {
    const wss = new WebSocketServer({ noServer: true });
    const connections = new Set<Connection>();
    const subscriptions = async (schema: string, table: string): Promise<Subscription[]> => {
        const { rows } = await ctx.pool
            .query<Subscription>("select events, filter from flow_nexus.realtime_subscriptions where table_name = $1", [`${schema}.${table}`])
            .catch(() => ({ rows: [] as Subscription[] }));
        return rows;
    };
    const deliver = async (change: Change) => {
        if (connections.size === 0) return;
        const subs = await subscriptions(change.schema, change.table);
        const row = change.record ?? change.old_record;
        const admitted = isProbe(change) || subs.some((s) => (s.events.includes("*") || s.events.includes(change.type)) && passes(s.filter, row));
        if (admitted) for (const c of connections) c.deliver(change);
    };
    // Changes go out in commit order: each waits for the one before.
    let queue = Promise.resolve();
    feed.on("change", (change: Change) => {
        queue = queue.then(() => deliver(change));
    });
    return {
        upgrade(req, socket, head, url) {
            wss.handleUpgrade(req, socket, head, (ws) => {
                const connection = new Connection(ws, url.searchParams.get("vsn") ?? "1.0.0", url.searchParams.get("apikey") ?? undefined, ctx, subscriptions);
                connections.add(connection);
                ws.on("close", () => connections.delete(connection));
                ws.on("error", () => connections.delete(connection));
            });
        },
        close() {
            for (const client of wss.clients) client.terminate();
            wss.close();
        },
    };
}
