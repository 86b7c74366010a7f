/**
 * Taking a local sandbox apart: its supervisor, its processes, its folder.
 * Nothing here charges: the provider's delete meters the last running time
 * around it (./metering), and `flow-nexus cleanup` calls it as it is.
 */
import { existsSync, promises as fs, readFileSync } from "fs";
import * as path from "path";
import { dropLinkRole } from "../runtime/link-env";
import { isAlive, processRef, ProcessRef, stopGroup } from "../runtime/process";
import { killProcesses } from "./processes";
import { readRecord, readyFile } from "./record";

/**
 * The sandbox's supervisor, when it runs: the one sandbox.json records, or
 * (a create killed before it recorded it) the one its readiness file names,
 * whose command line holds the sandbox's folder.
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
    const supervisor = supervisorOf(dir, sandboxId, record?.supervisor);
    if (supervisor) await stopGroup(supervisor);
    await killProcesses(dir, sandboxId);
    // The role its links made (<dataDir>/sandboxes/<id>); the last sandbox's teardown may find the database already gone.
    if (record?.links?.some((l) => l.type === "DatabaseSchema")) await dropLinkRole(path.dirname(path.dirname(dir)), sandboxId);
    await fs.rm(dir, { recursive: true, force: true });
}
