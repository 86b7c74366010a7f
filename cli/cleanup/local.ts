/**
 * Finding and removing what a local stack's data folder holds: sandboxes
 * (`sandboxes/<id>/sandbox.json`), apps in them (`work/apps/<id>/deployment.json`),
 * buckets (`storage/<name>/bucket.json`), monitors (rows of
 * `flow_nexus.monitors`, folders `monitors/<id>/`) and the database. Each
 * carries the lineage tags its provider wrote; ./orphans decides.
 *
 * Removal reuses the providers' own delete where it only takes things
 * apart (apps, monitors), and the sandbox's own teardown without the
 * metering its delete wraps around it: a sweeper must never charge.
 */
import { existsSync, promises as fs, readFileSync } from "fs";
import * as path from "path";
import { deploymentDir, readDeployment } from "../../providers/deployment/api";
import { backend as deployments } from "../../providers/deployment/local";
import { backend as monitors, monitorDir } from "../../providers/monitor/local";
import { withDatabase } from "../../providers/runtime/postgres";
import { releaseLease, removePostgres } from "../../providers/runtime/postgres-server";
import { databaseDir, removeStackData } from "../../providers/runtime/stack-data";
import { groupMembers, isAlive, processesWithEnv, processRef, ProcessRef, stopGroup } from "../../providers/runtime/process";
import { SANDBOX_MARKER } from "../../providers/sandbox/processes";
import { supervisorOf, tearDown } from "../../providers/sandbox/teardown";
import { readRecord, sandboxDir } from "../../providers/sandbox/record";
import { bucketDir, countObjects, readRules } from "../../providers/storage/layout";
import type { Tags } from "../../providers/runtime/lineage";
import type { FoundObject } from "./orphans";

async function names(dir: string): Promise<string[]> {
    return (await fs.readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => e.name);
}

/** Whether the tags say the object belongs to this project (anything else is never touched). */
function ours(tags: Partial<Tags> | undefined, project: string): boolean {
    return tags === undefined || tags["flow-nexus:project"] === undefined || tags["flow-nexus:project"] === project;
}

async function sandboxes(dataDir: string, stack: string, project: string): Promise<FoundObject[]> {
    const found: FoundObject[] = [];
    for (const id of await names(path.join(dataDir, "sandboxes"))) {
        const dir = sandboxDir(dataDir, id);
        const record = await readRecord(dir).catch(() => undefined);
        if (!ours(record?.tags, project)) continue;
        const pids = new Set(processesWithEnv(SANDBOX_MARKER, id));
        const supervisor = supervisorOf(dir, id, record?.supervisor);
        if (supervisor) pids.add(supervisor.pid);
        found.push({ kind: "sandbox", id, stack, urn: record?.tags["flow-nexus:urn"], location: dir, pids: [...pids].sort((a, b) => a - b) });
        for (const app of await names(path.join(dir, "work", "apps"))) {
            const deployment = await readDeployment(deploymentDir(dataDir, id, app)).catch(() => undefined);
            if (!deployment || !ours(deployment.tags, project)) continue;
            const appPids = deployment.process ? groupMembers(deployment.process) : [];
            found.push({ kind: "app", id: app, stack, sandboxId: id, urn: deployment.tags["flow-nexus:urn"], location: deployment.appDir, pids: appPids });
        }
    }
    return found;
}

async function buckets(dataDir: string, stack: string, project: string): Promise<FoundObject[]> {
    const found: FoundObject[] = [];
    for (const name of await names(path.join(dataDir, "storage"))) {
        const dir = bucketDir(dataDir, name);
        const rules = await readRules(dir).catch(() => undefined);
        if (!ours(rules?.tags, project)) continue;
        found.push({ kind: "bucket", id: name, stack, urn: rules?.tags["flow-nexus:urn"], location: dir, pids: [], objects: await countObjects(dir) });
    }
    return found;
}

/** The watchdog a monitor folder's readiness file names, if it runs (its command line names the monitor). */
function readyWatchdog(dataDir: string, monitorId: string): ProcessRef | undefined {
    const file = path.join(monitorDir(dataDir, monitorId), "watchdog.ready");
    const pid = Number(existsSync(file) ? readFileSync(file, "utf8").trim() : NaN);
    const ref = Number.isInteger(pid) && pid > 0 ? processRef(pid) : undefined;
    return ref && isAlive(ref, monitorId) ? ref : undefined;
}

/** Whether the stack has a database cluster (its connection details are written when it is made). */
function hasDatabase(dataDir: string): boolean {
    return existsSync(path.join(dataDir, "postgres", "instance.json"));
}

async function monitorRows(dataDir: string): Promise<Array<{ id: string; urn: string; watchdog: ProcessRef | null }>> {
    if (!hasDatabase(dataDir)) return [];
    return withDatabase(dataDir, async (client) => {
        const { rows } = await client.query<{ ok: boolean }>("select to_regclass('flow_nexus.monitors') is not null as ok");
        if (!rows[0].ok) return [];
        return (await client.query<{ id: string; urn: string; watchdog: ProcessRef | null }>("select id, urn, watchdog from flow_nexus.monitors")).rows;
    });
}

async function monitorObjects(dataDir: string, stack: string): Promise<FoundObject[]> {
    const rows = await monitorRows(dataDir);
    const ids = new Set([...rows.map((r) => r.id), ...(await names(path.join(dataDir, "monitors")))]);
    return [...ids].map((id) => {
        const row = rows.find((r) => r.id === id);
        const watchdog = row?.watchdog && isAlive(row.watchdog, id) ? row.watchdog : readyWatchdog(dataDir, id);
        return { kind: "monitor" as const, id, stack, urn: row?.urn, location: monitorDir(dataDir, id), pids: watchdog ? [watchdog.pid] : [] };
    });
}

function databaseObject(dataDir: string, stack: string): FoundObject[] {
    if (!hasDatabase(dataDir)) return [];
    const pidFile = path.join(dataDir, "postgres", "data", "postmaster.pid");
    const pid = Number(existsSync(pidFile) ? readFileSync(pidFile, "utf8").split("\n")[0] : NaN);
    const running = Number.isInteger(pid) && processRef(pid) !== undefined;
    return [{ kind: "database", id: "postgres", stack, location: databaseDir(dataDir), pids: running ? [pid] : [] }];
}

/** Everything of `project` in a stack's data folder that cleanup knows how to remove. */
export async function scanDataDir(dataDir: string, stack: string, project: string): Promise<FoundObject[]> {
    return [
        ...(await sandboxes(dataDir, stack, project)),
        ...(await buckets(dataDir, stack, project)),
        ...(await monitorObjects(dataDir, stack)),
        ...databaseObject(dataDir, stack),
    ];
}

/** Who holds a lease on the stack's database: each lease file holds its holder's name (`<urn>#<id>`). */
export async function leaseHolders(dataDir: string): Promise<string[]> {
    const dir = path.join(dataDir, "postgres", "leases");
    const files = await fs.readdir(dir).catch(() => [] as string[]);
    return Promise.all(files.map((f) => fs.readFile(path.join(dir, f), "utf8")));
}

/** The outcome of removing one object. */
export type Removal = { removed: true } | { removed: false; reason: string };

/**
 * Removes one orphan and every process it holds. A bucket that holds
 * objects is kept unless `force`: cleanup never loses data nobody asked to lose.
 */
export async function removeObject(dataDir: string, object: FoundObject, opts: { force: boolean }): Promise<Removal> {
    const local = { kind: "local" as const, dataDir };
    switch (object.kind) {
        case "app":
            // The provider's delete takes the app's lock, stops its process group and removes its folder and log.
            await deployments.delete(object.id, { backend: local, sandboxId: object.sandboxId! } as never);
            return { removed: true };
        case "monitor":
            if (object.urn !== undefined) {
                // The provider's delete stops the watchdog, deletes the monitor's rows and its folder.
                await monitors.delete(object.id, { backend: local } as never);
            } else {
                const watchdog = readyWatchdog(dataDir, object.id);
                if (watchdog) await stopGroup(watchdog);
                await fs.rm(object.location, { recursive: true, force: true });
            }
            return { removed: true };
        case "sandbox": {
            // The provider's own teardown, without the delete's metering: a sweeper never charges.
            await tearDown(sandboxDir(dataDir, object.id), object.id);
            return { removed: true };
        }
        case "bucket": {
            const objects = await countObjects(object.location);
            if (objects > 0 && !opts.force) {
                return { removed: false, reason: `holds ${objects} object${objects === 1 ? "" : "s"}: kept (pass --force to delete them)` };
            }
            await fs.rm(object.location, { recursive: true, force: true });
            return { removed: true };
        }
        case "database":
            await removePostgres(dataDir);
            return { removed: true };
    }
}

/** Gives back leases no resource holds; the database stops when none is left (as after `destroy`). */
export async function releaseLeases(dataDir: string, holders: readonly string[]): Promise<void> {
    for (const holder of holders) await releaseLease(dataDir, holder);
}

/** Removes a gone stack's data folder once nothing in it is kept. */
export const removeDataDir = removeStackData;
