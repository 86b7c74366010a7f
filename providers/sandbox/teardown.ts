/**
 * Taking a local sandbox apart: its supervisor, its processes, its folder.
 * Nothing here charges: the provider's delete meters the last running time
 * around it (./metering), and `flow-nexus cleanup` calls it as it is.
 */
import { existsSync, promises as fs, readFileSync } from "fs";
import * as path from "path";
import { dropLinkRole } from "../runtime/link-env";
import { isAlive, processRef, ProcessRef, stopGroup } from "../runtime/process";
import { stopTask } from "../runtime/task-host";
import { killProcesses } from "./processes";
import { readRecord, readyFile } from "./record";

/**
 * A supervisor process of this sandbox alone, when one runs: one an older
 * flow-nexus started for it (the one sandbox.json records, or, for a create
 * killed before it recorded it, the one its readiness file names), whose
 * command line holds the sandbox's id. The stack's supervisor process,
 * which serves every sandbox, is not one: it is asked to stop supervising.
 */
export function supervisorOf(dir: string, sandboxId: string, recorded: ProcessRef | undefined): ProcessRef | undefined {
    if (recorded) return isAlive(recorded, sandboxId) ? recorded : undefined;
    const file = readyFile(dir);
    const pid = Number(existsSync(file) ? readFileSync(file, "utf8").trim() : NaN);
    const ref = Number.isInteger(pid) && pid > 0 ? processRef(pid) : undefined;
    return ref && isAlive(ref, dir) ? ref : undefined;
}

/** Removes a sandbox completely: supervisor, processes, folder. Nothing there is not an error. */
export async function tearDown(dir: string, sandboxId: string): Promise<void> {
    const record = await readRecord(dir).catch(() => undefined);
    // The supervisor first, so it does not act (pause, expire) on a sandbox being taken apart.
    const dataDir = path.dirname(path.dirname(dir));
    await stopTask(dataDir, "supervisor", sandboxId);
    const own = supervisorOf(dir, sandboxId, record?.supervisor);
    if (own) await stopGroup(own);
    await killProcesses(dir, sandboxId);
    // The role its links made (<dataDir>/sandboxes/<id>); the last sandbox's teardown may find the database already gone.
    if (record?.links?.some((l) => l.type === "DatabaseSchema")) await dropLinkRole(dataDir, sandboxId);
    await fs.rm(dir, { recursive: true, force: true });
}
