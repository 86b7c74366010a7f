/**
 * What a local sandbox is on disk: `<dataDir>/sandboxes/<id>/sandbox.json`
 * (its record), beside `work/`, `home/`, `logs/` and `procs/`, and whether it
 * is alive (the stack's supervisor supervises it) or paused. Read by the backend, the
 * supervisor, the deployments that live in a sandbox, and the CLI.
 */
import type { LinkRef } from "../runtime/links";
import { existsSync, promises as fs } from "fs";
import * as path from "path";
import { writeFileAtomic } from "../runtime/files";
import type { BillingRef } from "../runtime/lineage";
import type { ProcessRef } from "../runtime/process";
import { taskHost } from "../runtime/task-host";
import type { Inputs, Isolation, Outputs } from "./schema";

/** What a local sandbox's `sandbox.json` holds. */
export interface SandboxRecord {
    id: string;
    /** The replace-defining inputs it was made from (see fingerprint). */
    fingerprint: string;
    template: Inputs["template"];
    envs: Record<string, string>;
    metadata: Record<string, string>;
    tags: Inputs["tags"];
    ports: number[];
    startedAt: string;
    endAt: string;
    timeoutSeconds: number;
    onTimeout: Inputs["onTimeout"];
    isolation: Isolation;
    /** Absent only while the sandbox is being created. */
    supervisor?: ProcessRef;
    /** Where its running time is charged. */
    billing?: BillingRef;
    /** What its processes are told (./processes makes the environment at each start: no key is stored). */
    links?: LinkRef[];
}

/** A running sandbox as its processes see it. */
export interface SandboxInfo extends SandboxRecord {
    dir: string;
    workDir: string;
    status: Outputs["status"];
}

/** The folder of sandbox `sandboxId` of the stack whose data folder is `dataDir`. */
export function sandboxDir(dataDir: string, sandboxId: string): string {
    return path.join(path.resolve(dataDir), "sandboxes", sandboxId);
}

const recordFile = (dir: string) => path.join(dir, "sandbox.json");
const pausedFile = (dir: string) => path.join(dir, "paused");
/** Written by the supervisor an older flow-nexus started for this sandbox alone (./teardown finds it by it). */
export const readyFile = (dir: string) => path.join(dir, "supervisor.ready");

/** The sandbox.json in `dir`, or undefined when there is none (never created, deleted, expired). */
export async function readRecord(dir: string): Promise<SandboxRecord | undefined> {
    try {
        return JSON.parse(await fs.readFile(recordFile(dir), "utf8")) as SandboxRecord;
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
    }
}

export async function writeRecord(dir: string, record: SandboxRecord): Promise<void> {
    // Atomic: the supervisor re-reads it at any moment. Private: envs may hold secrets.
    await writeFileAtomic(recordFile(dir), JSON.stringify(record, null, 2), 0o600);
}

/** Every sandbox record of the stack whose data folder is `dataDir`. */
export async function listRecords(dataDir: string): Promise<SandboxRecord[]> {
    let ids: string[];
    try {
        ids = await fs.readdir(path.join(path.resolve(dataDir), "sandboxes"));
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw err;
    }
    const records = await Promise.all(ids.map((id) => readRecord(sandboxDir(dataDir, id))));
    return records.filter((r): r is SandboxRecord => r !== undefined);
}

/**
 * A sandbox is alive while the stack's supervisor process supervises it: a
 * dead supervisor means it was killed or the machine restarted.
 */
export function supervisorAlive(dataDir: string, record: SandboxRecord): boolean {
    return record.supervisor !== undefined && taskHost(dataDir, "supervisor", record.id)?.pid === record.supervisor.pid;
}

/** Whether the supervisor has paused the sandbox in `dir` at its timeout. */
export async function isPaused(dir: string): Promise<boolean> {
    return existsSync(pausedFile(dir));
}

/** Marks the sandbox paused or running; only its supervisor calls this. */
export async function setPaused(dir: string, paused: boolean): Promise<void> {
    if (paused) await fs.writeFile(pausedFile(dir), new Date().toISOString());
    else await fs.rm(pausedFile(dir), { force: true });
}

/** The sandbox `sandboxId` of `dataDir` if it is alive, else undefined. */
export async function readSandbox(dataDir: string, sandboxId: string): Promise<SandboxInfo | undefined> {
    const dir = sandboxDir(dataDir, sandboxId);
    const record = await readRecord(dir);
    if (!record || !supervisorAlive(dataDir, record)) return undefined;
    const status = (await isPaused(dir)) ? "paused" : "running";
    return { ...record, dir, workDir: path.join(dir, "work"), status };
}
