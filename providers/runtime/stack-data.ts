/**
 * A stack's data folder (`.flow-nexus/stacks/<stack>`): where every local
 * backend keeps its state, who holds it, and when it goes. Each local
 * resource holds a lease from its create to its delete, named by its URN and
 * ID (a replacement shares the URN but not the ID); with the last lease the
 * stack's database stops and is removed (./postgres-server), and so is the
 * rest of the folder (alert files, logs), which belonged to those resources.
 */
import { randomBytes } from "crypto";
import { promises as fs } from "fs";
import * as path from "path";
import { acquireLease, databaseDir, releaseLease } from "./postgres-server";

export { databaseDir };

/** The lease of a resource: its URN and ID. */
const leaseOf = (urn: string, id: string) => `${urn}#${id}`;

/**
 * Runs a create holding a provisional lease (given back if it fails), then
 * holds the created resource's own lease; `idOf` reads its ID from the result.
 */
export async function creating<T>(dataDir: string, urn: string, idOf: (result: T) => string, create: () => Promise<T>): Promise<T> {
    const provisional = leaseOf(urn, `creating-${randomBytes(6).toString("hex")}`);
    await acquireLease(dataDir, provisional);
    let result: T;
    try {
        result = await create();
    } catch (err) {
        await releaseLease(dataDir, provisional);
        throw err;
    }
    await acquireLease(dataDir, leaseOf(urn, idOf(result)));
    await releaseLease(dataDir, provisional);
    return result;
}

/** Gives a resource's lease back (it was deleted, or found gone); with the last one the folder goes. */
export async function released(dataDir: string, urn: string, id: string): Promise<void> {
    await releaseLease(dataDir, leaseOf(urn, id));
    const databaseLeft = await fs.stat(databaseDir(dataDir)).then(() => true, () => false);
    if (databaseLeft) await removeEmptyFolders(dataDir);
    else await removeStackData(dataDir);
}

/** Removes the data folder's empty subfolders, and the folder itself once empty. */
async function removeEmptyFolders(dataDir: string): Promise<void> {
    const entries = await fs.readdir(dataDir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
        if (entry.isDirectory()) await fs.rmdir(path.join(dataDir, entry.name)).catch(() => undefined);
    }
    await fs.rmdir(dataDir).catch(() => undefined);
}

/** Removes a stack's data folder and everything in it. */
export async function removeStackData(dataDir: string): Promise<void> {
    await fs.rm(dataDir, { recursive: true, force: true });
}
