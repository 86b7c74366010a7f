/**
 * A local deployment's record: its folder in the sandbox
 * (`<workDir>/apps/<deploymentId>/`), its `deployment.json` (how to start the
 * app, and the process running it) and its lock file
 * (`<workDir>/apps/.<id>.lock`), held by whatever changes the running app.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { readJson, writeFileAtomic } from "../runtime/files";
import { withFileLock } from "../runtime/lock";
import type { LinkRef } from "../runtime/links";
import type { ProcessRef } from "../runtime/process";
import { sandboxDir } from "../sandbox/api";
import type { Inputs } from "./schema";

/** How long a deploy or restart waits for another one of the same app to finish. */
const LOCK_WAIT_MS = 15 * 60 * 1000;
export const RECORD = "deployment.json";
/** What `deployment.json` holds: enough for anyone (a watchdog, a tool) to restart the app. */
export interface DeploymentRecord {
    deploymentId: string;
    sandboxId: string;
    tags: Inputs["tags"];
    env: Record<string, string>;
    /** The resources it is linked to (absent in records of older versions: none). */
    links?: LinkRef[];
    installCommand?: string;
    startCommand: string;
    port: number;
    healthPath?: string;
    /** Empty when the app declares no health check. */
    healthUrl: string;
    healthTimeoutSeconds: number;
    sourceHash: string;
    appDir: string;
    logFile: string;
    /** The leader of the app's process group; absent until it first starts. */
    process?: ProcessRef;
    startedAt?: string;
}

/** The folder of deployment `deploymentId` in sandbox `sandboxId` of the stack whose data folder is `dataDir`. */
export function deploymentDir(dataDir: string, sandboxId: string, deploymentId: string): string {
    return path.join(appsDir(dataDir, sandboxId), deploymentId);
}

export function appsDir(dataDir: string, sandboxId: string): string {
    // The sandbox's workDir: commands run there, so `apps/<id>` is the app's path inside the sandbox too.
    return path.join(sandboxDir(dataDir, sandboxId), "work", "apps");
}

export const lockFile = (dataDir: string, sandboxId: string, deploymentId: string) => path.join(appsDir(dataDir, sandboxId), `.${deploymentId}.lock`);

/** The deployment.json of an app folder, or undefined when there is none. */
export function readDeployment(dir: string): Promise<DeploymentRecord | undefined> {
    return readJson<DeploymentRecord>(path.join(dir, RECORD));
}

export async function writeDeployment(record: DeploymentRecord): Promise<void> {
    // Private: env may hold secrets. Atomic: a watchdog may read it at any moment.
    await writeFileAtomic(path.join(record.appDir, RECORD), JSON.stringify(record, null, 2), 0o600);
}

/** Runs `fn` holding the app's lock; a lock whose holder died (a killed run or watchdog) is taken over. */
export function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
    return withFileLock(file, fn, { waitMs: LOCK_WAIT_MS, what: "the app is being changed: its lock" });
}

/** The deployment an interrupted run of the resource `urn` left in the sandbox, if any. */
export async function findByUrn(dataDir: string, sandboxId: string, urn: string): Promise<DeploymentRecord | undefined> {
    const names = await fs.readdir(appsDir(dataDir, sandboxId)).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.startsWith("dep-"))) {
        const record = await readDeployment(deploymentDir(dataDir, sandboxId, name)).catch(() => undefined);
        if (record?.tags["flow-nexus:urn"] === urn) return record;
    }
    return undefined;
}
