/**
 * The stack's change stream: PostgreSQL's own logical replication of the
 * `supabase_realtime` publication (pgoutput, through pg-logical-replication),
 * as Supabase Realtime reads it. One slot per stack, kept across restarts so
 * that a gateway started again resumes where it stopped; it goes with the
 * stack's cluster. Each row change is emitted as a `Change`, in the shape
 * Realtime's `postgres_changes` payload carries.
 */
import { EventEmitter } from "events";
import type { Pool } from "pg";
import { LogicalReplicationService, PgoutputPlugin } from "pg-logical-replication";
import type { Instance } from "../providers/runtime/postgres-server";
import { DATABASE } from "../providers/runtime/postgres-server";
import { ensureProbe } from "../providers/runtime/realtime-probe";

export const PUBLICATION = "supabase_realtime";
const SLOT = "flow_nexus_gateway";

export type ChangeType = "INSERT" | "UPDATE" | "DELETE";

/** One row change, as Realtime sends it (`data` of a postgres_changes message). */
export interface Change {
    schema: string;
    table: string;
    type: ChangeType;
    commit_timestamp: string;
    columns: Array<{ name: string; type: string }>;
    record: Record<string, unknown> | null;
    old_record: Record<string, unknown> | null;
    errors: null;
}

interface Relation {
    schema: string;
    name: string;
    columns: Array<{ name: string; typeOid: number; typeName: string | null }>;
}

type Message =
    | { tag: "begin"; commitTime: bigint }
    | { tag: "insert"; relation: Relation; new: Record<string, unknown> }
    | { tag: "update"; relation: Relation; old: Record<string, unknown> | null; new: Record<string, unknown> }
    | { tag: "delete"; relation: Relation; old: Record<string, unknown> | null; key: Record<string, unknown> | null }
    | { tag: string };

/** A value as JSON carries it: timestamps as ISO strings, bytes as Postgres's hex. */
function plain(value: unknown): unknown {
    if (value instanceof Date) return value.toISOString();
    if (Buffer.isBuffer(value)) return `\\x${value.toString("hex")}`;
    if (typeof value === "bigint") return value.toString();
    if (Array.isArray(value)) return value.map(plain);
    return value;
}

function row(values: Record<string, unknown> | null): Record<string, unknown> | null {
    return values && Object.fromEntries(Object.entries(values).map(([k, v]) => [k, plain(v)]));
}

/** Emits `change` for every row change in the publication, and `error` when the stream fails (it then starts again). */
export class ChangeFeed extends EventEmitter {
    private service?: LogicalReplicationService;
    private typeNames = new Map<number, string>();
    private commitTime = new Date();
    private stopped = false;
    private queue = Promise.resolve();

    constructor(
        private readonly instance: Instance,
        private readonly pool: Pool,
    ) {
        super();
    }

    /** Makes the publication (with the platform's probe table) and the slot when missing, and starts streaming. */
    async start(): Promise<void> {
        await ensureProbe(this.pool);
        const slot = await this.pool.query<{ active_pid: number | null }>("select active_pid from pg_replication_slots where slot_name = $1", [SLOT]);
        if (slot.rowCount === 0) await this.pool.query("select pg_create_logical_replication_slot($1, 'pgoutput')", [SLOT]);
        // A gateway killed a moment ago may still hold the slot.
        else if (slot.rows[0].active_pid) await this.pool.query("select pg_terminate_backend($1)", [slot.rows[0].active_pid]);
        await this.loadTypeNames();
        this.stream();
    }

    private async loadTypeNames(): Promise<void> {
        const { rows } = await this.pool.query<{ oid: number; typname: string }>("select oid::int as oid, typname from pg_type");
        this.typeNames = new Map(rows.map((r) => [r.oid, r.typname]));
    }

    private stream(): void {
        const { port, user, password } = this.instance;
        const service = new LogicalReplicationService(
            { host: "127.0.0.1", port, user, password, database: DATABASE },
            { acknowledge: { auto: true, timeoutSeconds: 1 } },
        );
        this.service = service;
        // In order: a change waits for the one before it (which may be loading type names).
        service.on("data", (_lsn: string, message: Message) => {
            this.queue = this.queue.then(() => this.receive(message)).catch((err: Error) => void this.emit("error", err));
        });
        service.on("error", (err: Error) => this.emit("error", err));
        const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [PUBLICATION] });
        service
            .subscribe(plugin, SLOT)
            .catch((err: Error) => this.emit("error", err))
            .finally(() => {
                if (this.stopped) return;
                // The stream ended (the server restarted, a connection dropped): start again.
                setTimeout(() => {
                    if (!this.stopped) this.stream();
                }, 1000);
            });
    }

    private async receive(message: Message): Promise<void> {
        if (message.tag === "begin") {
            const { commitTime } = message as { commitTime: bigint };
            // Microseconds since 1970: pg-logical-replication has already moved PostgreSQL's 2000 epoch to Unix's.
            this.commitTime = new Date(Number(commitTime / 1000n));
            return;
        }
        if (message.tag !== "insert" && message.tag !== "update" && message.tag !== "delete") return;
        const m = message as Extract<Message, { relation: Relation }> & { new?: Record<string, unknown>; old?: Record<string, unknown> | null; key?: Record<string, unknown> | null };
        if (m.relation.columns.some((c) => !this.typeNames.has(c.typeOid) && !c.typeName)) await this.loadTypeNames();
        const change: Change = {
            schema: m.relation.schema,
            table: m.relation.name,
            type: m.tag.toUpperCase() as ChangeType,
            commit_timestamp: this.commitTime.toISOString(),
            columns: m.relation.columns.map((c) => ({ name: c.name, type: c.typeName ?? this.typeNames.get(c.typeOid) ?? "text" })),
            record: m.tag === "delete" ? null : row(m.new ?? null),
            old_record: m.tag === "insert" ? null : row(m.old ?? m.key ?? null),
            errors: null,
        };
        this.emit("change", change);
    }

    async stop(): Promise<void> {
        this.stopped = true;
        await this.service?.destroy().catch(() => undefined);
    }
}
