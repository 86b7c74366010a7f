/**
 * The audit log: every create, update and delete of a flow-nexus resource
 * appends a row (time, stack, URN, type, action, and which properties
 * changed; never their values, which may be secrets).
 *
 * The log lives in the platform database of the resource's backend: the
 * stack's embedded Postgres locally, `flow-nexus:databaseUrl` in the cloud.
 */
import type { BackendRef, Tags } from "./lineage";
import { migratePlatform } from "./platform-tables";
import { DatabaseRef, withDatabase } from "./postgres";
import { creating, released } from "./stack-data";

export type AuditAction = "create" | "update" | "delete";

export interface AuditEntry {
    /** The resource type, e.g. `StorageBucket`. */
    type: string;
    action: AuditAction;
    /** The input properties that were set (create) or changed (update). */
    changed: readonly string[];
}

const TABLE = `
    create table if not exists flow_nexus.audit_log (
        id bigserial primary key,
        at timestamptz not null default now(),
        stack text not null,
        urn text not null,
        type text not null,
        action text not null,
        changed text[] not null
    )`;

async function append(backend: BackendRef, tags: Tags, entry: AuditEntry): Promise<void> {
    await withDatabase(backend, async (client) => {
        await migratePlatform(client, "audit", [TABLE]);
        await client.query(
            "insert into flow_nexus.audit_log (stack, urn, type, action, changed) values ($1, $2, $3, $4, $5)",
            [tags["flow-nexus:stack"], tags["flow-nexus:urn"], entry.type, entry.action, entry.changed],
        );
    });
}

/**
 * Runs a provider operation and records it. Locally the resource's lease on
 * the stack's data folder is taken at its create and given back at its
 * delete (./stack-data). `id` is the resource's ID: known for a delete, read
 * from the result of a create.
 */
export async function audited<T>(
    backend: BackendRef,
    tags: Tags,
    entry: AuditEntry,
    operation: () => Promise<T>,
    id: string | ((result: T) => string),
): Promise<T> {
    const dataDir = backend.kind === "local" ? backend.dataDir! : undefined;
    const urn = tags["flow-nexus:urn"];
    const idOf = (result: T) => (typeof id === "string" ? id : id(result));
    const result = dataDir && entry.action === "create" ? await creating(dataDir, urn, idOf, operation) : await operation();
    await append(backend, tags, entry);
    if (dataDir && entry.action === "delete") await released(dataDir, urn, idOf(result));
    return result;
}

/**
 * A resource its backend found gone (and refresh drops from state) gives its
 * lease back, as its delete would have.
 */
export async function forgotten(backend: BackendRef, tags: Tags, id: string): Promise<void> {
    if (backend.kind === "local") await released(backend.dataDir!, tags["flow-nexus:urn"], id);
}

/** Reads the audit log of a stack (its data folder, or a backend ref), oldest first (for tools and tests). */
export async function readAuditLog(ref: DatabaseRef): Promise<Array<{ at: Date; stack: string; urn: string; type: string; action: AuditAction; changed: string[] }>> {
    return withDatabase(ref, async (client) => {
        await migratePlatform(client, "audit", [TABLE]);
        const { rows } = await client.query("select at, stack, urn, type, action, changed from flow_nexus.audit_log order by id");
        return rows;
    });
}
