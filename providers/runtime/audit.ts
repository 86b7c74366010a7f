/**
 * The audit log: every create, update and delete of a flow-nexus resource
 * appends a row (time, stack, URN, type, action, and which properties
 * changed; never their values, which may be secrets).
 *
 * The log lives in the platform database of the resource's backend: the
 * stack's embedded Postgres locally (so each resource holds a lease on that
 * server from its create to its delete), `flow-nexus:databaseUrl` in the cloud.
 */
import { randomBytes } from "crypto";
import { promises as fs } from "fs";
import * as path from "path";
import type { BackendRef, Tags } from "./lineage";
import { migratePlatform } from "./platform-tables";
import { DatabaseRef, withDatabase } from "./postgres";
import { acquireLease, releaseLease } from "./postgres-server";

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
 * Runs a provider operation and records it. Locally, each resource holds a
 * lease on the stack's database from its create to its delete, named by its
 * URN and its ID (a replacement shares the URN but not the ID). A create
 * holds a provisional lease while it runs, given back if it fails; a delete
 * gives the resource's lease back, which stops and removes the database (and
 * tidies the stack's data folder) when it was the last one.
 *
 * `id` is the resource's ID: known for a delete, read from the result of a create.
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
    const leaseOf = (result: T) => `${urn}#${typeof id === "string" ? id : id(result)}`;
    if (!dataDir) {
        const result = await operation();
        await append(backend, tags, entry);
        return result;
    }
    if (entry.action === "create") {
        const provisional = `${urn}#creating-${randomBytes(6).toString("hex")}`;
        await acquireLease(dataDir, provisional);
        let result: T;
        try {
            result = await operation();
        } catch (err) {
            await releaseLease(dataDir, provisional);
            throw err;
        }
        await acquireLease(dataDir, leaseOf(result));
        await releaseLease(dataDir, provisional);
        await append(backend, tags, entry);
        return result;
    }
    const result = await operation();
    await append(backend, tags, entry);
    if (entry.action === "delete") await giveBack(dataDir, leaseOf(result));
    return result;
}

/**
 * A resource its backend found gone (and refresh drops from state) gives its
 * lease back, as its delete would have.
 */
export async function forgotten(backend: BackendRef, tags: Tags, id: string): Promise<void> {
    if (backend.kind === "local") await giveBack(backend.dataDir!, `${tags["flow-nexus:urn"]}#${id}`);
}

/**
 * Gives a lease back. With the last one the stack has no local resource
 * left: its database is gone (releaseLease), and so is the rest of its data
 * folder (alert files, logs), which belonged to those resources.
 */
async function giveBack(dataDir: string, lease: string): Promise<void> {
    await releaseLease(dataDir, lease);
    const databaseLeft = await fs.stat(path.join(dataDir, "postgres")).then(() => true, () => false);
    if (databaseLeft) await removeEmptyFolders(dataDir);
    else await fs.rm(dataDir, { recursive: true, force: true });
}

/** Removes the stack's data folder's empty subfolders, and the folder itself once empty. */
async function removeEmptyFolders(dataDir: string): Promise<void> {
    const entries = await fs.readdir(dataDir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
        if (entry.isDirectory()) await fs.rmdir(path.join(dataDir, entry.name)).catch(() => undefined);
    }
    await fs.rmdir(dataDir).catch(() => undefined);
}

/** Reads the audit log of a stack (its data folder, or a backend ref), oldest first (for tools and tests). */
export async function readAuditLog(ref: DatabaseRef): Promise<Array<{ at: Date; stack: string; urn: string; type: string; action: AuditAction; changed: string[] }>> {
    return withDatabase(ref, async (client) => {
        await migratePlatform(client, "audit", [TABLE]);
        const { rows } = await client.query("select at, stack, urn, type, action, changed from flow_nexus.audit_log order by id");
        return rows;
    });
}
