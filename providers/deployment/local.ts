/**
 * The local Deployment backend: an app is a folder of its sandbox,
 * `<workDir>/apps/<deploymentId>/`, holding a copy of the source and
 * `deployment.json` (how to start it, and the process running it), and a
 * background process of the sandbox (./sandbox/local's runInSandbox) that
 * listens on a loopback port. Its output goes to `<sandbox>/logs/app-<id>.log`.
 *
 * Anything that changes a running app (a deploy, a restart by a monitor's
 * watchdog, a delete) holds the app's lock (./record), so that a watchdog
 * never restarts an app an update is replacing.
 */
import { randomBytes } from "crypto";
import { promises as fs } from "fs";
import * as path from "path";
import { requireCredits } from "../billing/api";
import { probe, ProbeResult } from "../runtime/http";
import { dropLinkRole, grantLinks, linkEnv } from "../runtime/link-env";
import { logTail } from "../runtime/logs";
import { isListening } from "../runtime/ports";
import { groupRunning, stopGroup, waitUntil } from "../runtime/process";
import { readSandbox, runInSandbox, SandboxInfo } from "../sandbox/api";
import type { DeploymentBackend, Inputs, Outputs } from "./schema";
import { DeploymentRecord, deploymentDir, findByUrn, lockFile, readDeployment, RECORD, withLock, writeDeployment } from "./record";
import { copyDirectory, sourceDir } from "./source";

/** Local sandboxes serve on loopback. */
const HOST = "127.0.0.1";
const INSTALL_TIMEOUT_MS = 15 * 60 * 1000;
/** Kept across redeploys: the install command refreshes it faster than it makes it. */
const KEPT = new Set([RECORD, "node_modules"]);

/** The sandbox, running; an error that says what to do when it is not. */
async function liveSandbox(dataDir: string, sandboxId: string): Promise<SandboxInfo> {
    const sandbox = await readSandbox(dataDir, sandboxId);
    if (!sandbox) throw new Error(`sandbox ${sandboxId} is gone (expired, killed or deleted); run \`pulumi refresh\`, then \`pulumi up\` recreates it and its deployments`);
    if (sandbox.status === "paused") throw new Error(`sandbox ${sandboxId} is paused; change its timeoutSeconds to resume it`);
    return sandbox;
}

/** `sh` code that enters the app's folder; the sandbox runs commands in its work dir. */
const inApp = (record: DeploymentRecord) => `cd apps/${record.deploymentId} && `;

async function install(dataDir: string, record: DeploymentRecord): Promise<void> {
    if (record.installCommand === undefined) return;
    await fs.appendFile(record.logFile, `--- ${new Date().toISOString()} installing: ${record.installCommand}\n`);
    const result = await runInSandbox(dataDir, record.sandboxId, inApp(record) + record.installCommand, {
        env: record.env,
        logFile: record.logFile,
        timeoutMs: INSTALL_TIMEOUT_MS,
    });
    if (result.exitCode === 0) return;
    const how = result.timedOut
        ? `did not finish within ${INSTALL_TIMEOUT_MS / 60_000} minutes`
        : result.exitCode === null
          ? `was killed by ${result.signal}`
          : `exited with code ${result.exitCode}`;
    throw new Error(`the install command of deployment ${record.deploymentId} (${record.installCommand}) ${how}; the last lines of its output:\n${result.output}`);
}

/** Stops the app's process group, if any of it runs. */
async function stopApp(record: DeploymentRecord | undefined): Promise<void> {
    if (record?.process) await stopGroup(record.process);
}

/**
 * Whether the app is ready: GET healthUrl answers 200 or, for an app that
 * declares no health check, its port accepts connections.
 */
async function ready(record: DeploymentRecord, timeoutMs: number): Promise<ProbeResult> {
    if (record.healthUrl) return probe(record.healthUrl, timeoutMs);
    const started = Date.now();
    const listening = await isListening(record.port);
    return listening ? { statusCode: 200, latencyMs: Date.now() - started } : { latencyMs: Date.now() - started, error: `nothing listens on port ${record.port}` };
}

/** What readiness means for this app, for messages. */
function readiness(record: DeploymentRecord): string {
    return record.healthUrl ? `GET ${record.healthUrl} answered 200` : `port ${record.port} accepted connections`;
}

/**
 * Starts the app in the background and waits until it is ready (GET
 * healthUrl answers 200, or with no health check, its port listens). If it does not within healthTimeoutSeconds, or the app exits first,
 * the app is stopped and the error quotes the tail of its log.
 */
async function startApp(dataDir: string, record: DeploymentRecord, justStopped: boolean): Promise<void> {
    // Just stopped, the old process may hold the port a moment longer; a stranger holds it for good.
    if (!(await waitUntil(async () => !(await isListening(record.port)), justStopped ? 5000 : 0, 100))) {
        throw new Error(
            `port ${record.port} of ${HOST} is in use by another process, so deployment ${record.deploymentId} cannot listen on it; ` +
                "give it a free port (one of its sandbox's allocatedPorts)",
        );
    }
    const logOffset = (await fs.stat(record.logFile).catch(() => undefined))?.size ?? 0;
    await fs.appendFile(record.logFile, `--- ${new Date().toISOString()} starting: ${record.startCommand}\n`);
    const app = await runInSandbox(dataDir, record.sandboxId, inApp(record) + record.startCommand, {
        background: true,
        env: { ...record.env, ...(await linkEnv(dataDir, record.deploymentId, record.links ?? [])), PORT: String(record.port) },
        logFile: record.logFile,
    });
    record.process = { pid: app.pid, startTime: app.startTime };
    record.startedAt = new Date().toISOString();
    await writeDeployment(record);

    let last: ProbeResult | undefined;
    let exited = false;
    const healthy = await waitUntil(
        async () => {
            last = await ready(record, 2000);
            if (last.statusCode === 200) return true;
            exited = !groupRunning(app);
            return exited;
        },
        record.healthTimeoutSeconds * 1000,
    );
    if (healthy && !exited) return;
    await stopGroup(app);
    const answer = last?.statusCode !== undefined ? `HTTP ${last.statusCode}` : (last?.error ?? "nothing");
    const what = exited
        ? `exited before ${readiness(record)}`
        : `was not ready (${readiness(record)}) within healthTimeoutSeconds (${record.healthTimeoutSeconds})`;
    throw new Error(
        `deployment ${record.deploymentId}: the app (${record.startCommand}) ${what}; last answer: ${answer}. ` +
            `The last lines of its log (${record.logFile}):\n${await logTail(record.logFile, logOffset)}`,
    );
}

/** Replaces the app folder's files with the source's, keeping deployment.json and node_modules. */
async function replaceFiles(source: string, dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    for (const name of await fs.readdir(dir)) {
        if (!KEPT.has(name)) await fs.rm(path.join(dir, name), { recursive: true, force: true });
    }
    await copyDirectory(source, dir);
}

function outputs(inputs: Inputs, record: DeploymentRecord): Outputs {
    return {
        ...inputs,
        deploymentId: record.deploymentId,
        url: `http://${HOST}:${record.port}`,
        healthUrl: record.healthUrl,
        status: "healthy",
        appDir: record.appDir,
        logFile: record.logFile,
    } satisfies Outputs;
}

/** Puts the source in place, installs, starts the app and waits for it to be healthy (create and update alike). */
async function deploy(inputs: Inputs, deploymentId: string): Promise<Outputs> {
    const dataDir = inputs.backend.dataDir!;
    const sandbox = await liveSandbox(dataDir, inputs.sandboxId);
    const dir = deploymentDir(dataDir, inputs.sandboxId, deploymentId);
    return withLock(lockFile(dataDir, inputs.sandboxId, deploymentId), async () => {
        const previous = await readDeployment(dir);
        await stopApp(previous);
        await replaceFiles(sourceDir(inputs.source), dir);
        const record: DeploymentRecord = {
            deploymentId,
            sandboxId: inputs.sandboxId,
            tags: inputs.tags,
            env: inputs.env,
            links: inputs.links,
            installCommand: inputs.installCommand,
            startCommand: inputs.startCommand,
            port: inputs.port,
            healthPath: inputs.healthPath,
            healthUrl: inputs.healthPath ? `http://${HOST}:${inputs.port}${inputs.healthPath}` : "",
            healthTimeoutSeconds: inputs.healthTimeoutSeconds,
            sourceHash: inputs.sourceHash,
            appDir: dir,
            logFile: path.join(sandbox.dir, "logs", `app-${deploymentId}.log`),
        };
        // Written before anything runs, so an interrupted create is found by its URN.
        await writeDeployment(record);
        await install(dataDir, record);
        await grantLinks(dataDir, deploymentId, inputs.links);
        await startApp(dataDir, record, previous?.process !== undefined);
        return outputs(inputs, record);
    });
}

/** Stops the app and removes its folder and log; nothing there is not an error. */
async function remove(dataDir: string, sandboxId: string, deploymentId: string): Promise<void> {
    const dir = deploymentDir(dataDir, sandboxId, deploymentId);
    const apps = path.dirname(dir);
    if (!(await fs.stat(apps).catch(() => undefined))) return;
    await withLock(lockFile(dataDir, sandboxId, deploymentId), async () => {
        const record = await readDeployment(dir);
        await stopApp(record);
        if (record?.links?.some((l) => l.type === "DatabaseSchema")) await dropLinkRole(dataDir, deploymentId);
        await fs.rm(dir, { recursive: true, force: true });
        if (record) await fs.rm(record.logFile, { force: true });
    });
}

/** Whether the app runs and answers 200 on its health path (twice asked, so one slow answer is no drift). */
async function isHealthy(record: DeploymentRecord): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
        if (!record.process || !groupRunning(record.process)) return false;
        if ((await ready(record, 5000)).statusCode === 200) return true;
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return false;
}

/**
 * Restarts a deployed app from its deployment.json: stops it if it runs,
 * starts it again and waits until it is healthy. Throws (with the tail of
 * the app's log) when it does not become healthy, or when the sandbox or the
 * deployment is gone. Used by monitors' watchdogs and by tools.
 */
export async function restartDeployment(dataDir: string, sandboxId: string, deploymentId: string): Promise<void> {
    await liveSandbox(dataDir, sandboxId);
    const dir = deploymentDir(dataDir, sandboxId, deploymentId);
    if (!(await readDeployment(dir))) throw new Error(`deployment ${deploymentId} is not in sandbox ${sandboxId} (deleted?)`);
    await withLock(lockFile(dataDir, sandboxId, deploymentId), async () => {
        // Read again under the lock: a deploy that held it may have changed it.
        const record = await readDeployment(dir);
        if (!record) throw new Error(`deployment ${deploymentId} was deleted`);
        await stopApp(record);
        await startApp(dataDir, record, record.process !== undefined);
    });
}

export const backend: DeploymentBackend = {
    async create(inputs) {
        const dataDir = inputs.backend.dataDir!;
        await liveSandbox(dataDir, inputs.sandboxId);
        // One an interrupted run of this resource left is redeployed, not duplicated.
        const left = await findByUrn(dataDir, inputs.sandboxId, inputs.tags["flow-nexus:urn"]);
        const deploymentId = left?.deploymentId ?? `dep-${randomBytes(6).toString("hex")}`;
        // Before anything starts: a billed deployment needs credits.
        if (inputs.billing) await requireCredits(dataDir, inputs.billing.account, `deployment ${deploymentId} in sandbox ${inputs.sandboxId}`);
        try {
            return await deploy(inputs, deploymentId);
        } catch (err) {
            // Nothing half-made stays: no process, no folder.
            await remove(dataDir, inputs.sandboxId, deploymentId);
            throw err;
        }
    },

    async read(id, state) {
        const dataDir = state.backend.dataDir!;
        // Gone with its sandbox's folder; a sandbox that is only down keeps it, unhealthy.
        const record = await readDeployment(deploymentDir(dataDir, state.sandboxId, id));
        if (!record) return undefined;
        if ((await readSandbox(dataDir, state.sandboxId)) && (await isHealthy(record))) return { ...state, status: "healthy" };
        // An empty hash differs from the source's, so the next `up` redeploys in place.
        return { ...state, status: "unhealthy", sourceHash: "" };
    },

    async down(id, state) {
        const record = await readDeployment(deploymentDir(state.backend.dataDir!, state.sandboxId, id));
        const running = record?.process !== undefined && groupRunning(record.process);
        return record && !running ? `the app of deployment ${record.deploymentId} is not running` : undefined;
    },

    async update(id, _olds, news) {
        // On failure the app is stopped and the old state kept: read reports it unhealthy, and `up` retries.
        return deploy(news, id);
    },

    async delete(id, state) {
        await remove(state.backend.dataDir!, state.sandboxId, id);
    },
};
