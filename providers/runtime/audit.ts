/**
 * The audit log: every create, update and delete of a flow-nexus resource
 * appends a row (time, stack, URN, type, action, and which properties
 * changed; never their values, which may be secrets).
 *
 * On the local backend the log lives in the stack's embedded Postgres, so
 * each resource holds a lease on that server from its create to its delete.
 */
import { promises as fs } from "fs";
import * as path from "path";
import type { BackendRef, Tags } from "./lineage";
import { acquireLease, releaseLease, withDatabase } from "./postgres";

export type AuditAction = "create" | "update" | "delete";

export interface AuditEntry {
    /** The resource type, e.g. `StorageBucket`. */
    type: string;
    action: AuditAction;
    /** The input properties that were set (create) or changed (update). */
    changed: readonly string[];
}

const TABLE = `
    create schema if not exists flow_nexus;
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
    if (backend.kind !== "local") throw new Error(`the audit log has no ${backend.kind} backend yet`);
    await withDatabase(backend.dataDir!, async (client) => {
        await client.query(TABLE);
        await client.query(
            "insert into flow_nexus.audit_log (stack, urn, type, action, changed) values ($1, $2, $3, $4, $5)",
            [tags["flow-nexus:stack"], tags["flow-nexus:urn"], entry.type, entry.action, entry.changed],
        );
    });
}

/**
 * Runs a provider operation and records it. A create first takes the
 * resource's lease on the stack's database; a delete gives it back, which
 * stops and removes the database (and tidies the stack's data folder) when
 * it was the last resource that needed it.
 */
export async function audited<T>(backend: BackendRef, tags: Tags, entry: AuditEntry, operation: () => Promise<T>): Promise<T> {
    const local = backend.kind === "local";
    if (local && entry.action === "create") await acquireLease(backend.dataDir!, tags["flow-nexus:urn"]);
    const result = await operation();
    await append(backend, tags, entry);
    if (local && entry.action === "delete") {
        await releaseLease(backend.dataDir!, tags["flow-nexus:urn"]);
        await removeEmptyFolders(backend.dataDir!);
    }
    return result;
}

/** Removes the stack's data folder's empty subfolders, and the folder itself once empty. */
async function removeEmptyFolders(dataDir: string): Promise<void> {
    const entries = await fs.readdir(dataDir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
        if (entry.isDirectory()) await fs.rmdir(path.join(dataDir, entry.name)).catch(() => undefined);
    }
    await fs.rmdir(dataDir).catch(() => undefined);
}

/** Reads the audit log of a local stack, oldest first (for tools and tests). */
export async function readAuditLog(dataDir: string): Promise<Array<{ at: Date; stack: string; urn: string; type: string; action: AuditAction; changed: string[] }>> {
    return withDatabase(dataDir, async (client) => {
        await client.query(TABLE);
        const { rows } = await client.query("select at, stack, urn, type, action, changed from flow_nexus.audit_log order by id");
        return rows;
    });
}
