/**
 * The cloud Deployment backend: an app in an E2B sandbox. Its files are
 * uploaded in one batch to `~/apps/<deploymentId>/`, the install command
 * runs in the foreground, the start command in the background with no
 * command timeout, and the app counts as deployed once its health path
 * answers 200 through the sandbox's public host (`https://<port>-<host>`).
 *
 * What a watchdog (./monitor/e2b) needs to restart the app is kept in
 * `~/.flow-nexus/deployments/<deploymentId>.json` inside the sandbox. The
 * deployment's id is derived from its URN and sandbox, so a create after an
 * interrupted run finds the app that run left and redeploys it in place.
 */
import { createHash } from "crypto";
import type { Sandbox } from "e2b";
import { requireCredits } from "../billing/api";
import { httpFetch } from "../runtime/clients";
import { probe, ProbeResult } from "../runtime/http";
import { cloudLinkEnv } from "../runtime/links";
import {
    cleanUpIn,
    connectLive,
    HOME,
    LONG_COMMAND_MS,
    mustRun,
    readJsonFile,
    readText,
    sandboxInfo,
    sh,
    shellQuote,
    startBackground,
    STATE_DIR,
    stopTreeCommand,
    writeFiles,
} from "../runtime/e2b";
import type { DeploymentBackend, Inputs, Outputs } from "./schema";
import { readSourceFiles, sourceDir } from "./source";

/** What `~/.flow-nexus/deployments/<id>.json` holds: enough for a watchdog to restart the app. */
export interface CloudDeploymentRecord {
    deploymentId: string;
    urn: string;
    env: Record<string, string>;
    startCommand: string;
    port: number;
    healthUrl: string;
    appDir: string;
    logFile: string;
    /** The app's process (the shell that runs the start command); absent until it first starts. */
    pid?: number;
}

/** Where the deployments' records are kept in a sandbox; the monitor's watchdog reads them there. */
export const RECORDS_DIR = `${STATE_DIR}/deployments`;
const LOGS_DIR = `${STATE_DIR}/logs`;

/** Where a deployment's record (its process, port and log file) lives in the sandbox. */
export const recordPath = (deploymentId: string) => `${RECORDS_DIR}/${deploymentId}.json`;

/** The id of the resource `urn`'s deployment in `sandboxId`: the same for every run. */
export function deploymentIdFor(urn: string, sandboxId: string): string {
    return `dep-${createHash("sha256").update(`${urn}\0${sandboxId}`).digest("hex").slice(0, 12)}`;
}

/**
 * The command that starts an app: the start command comes in through the
 * environment, so no quoting can break it, and its output goes to the log.
 */
export const START_COMMAND = `exec sh -c "$FLOW_NEXUS_START" >> "$FLOW_NEXUS_LOG" 2>&1`;

/** The environment of a started app. */
export function startEnv(record: Pick<CloudDeploymentRecord, "env" | "port" | "startCommand" | "logFile">): Record<string, string> {
    return { ...record.env, PORT: String(record.port), FLOW_NEXUS_START: record.startCommand, FLOW_NEXUS_LOG: record.logFile };
}

/** One GET of the app through the sandbox's public host; never throws. */
function probeApp(sandbox: Sandbox, url: string, timeoutMs: number): Promise<ProbeResult> {
    // A sandbox with restricted public traffic wants its token on every request.
    const token = (sandbox as { trafficAccessToken?: string }).trafficAccessToken;
    return probe(url, timeoutMs, { headers: token ? { "e2b-traffic-access-token": token } : {}, fetch: httpFetch() });
}

/** Ready: the health path answers 200; without one, anything but E2B's "nothing listens" (502) or another 5xx. */
function isReady(answer: ProbeResult, hasHealthPath: boolean): boolean {
    if (answer.statusCode === undefined) return false;
    return hasHealthPath ? answer.statusCode === 200 : answer.statusCode < 500;
}

async function logTail(sandbox: Sandbox, logFile: string): Promise<string> {
    return (await readText(sandbox, logFile))?.trimEnd().split("\n").slice(-40).join("\n") ?? "";
}

async function stopApp(sandbox: Sandbox, record: CloudDeploymentRecord | undefined): Promise<void> {
    if (record?.pid) await sh(sandbox, stopTreeCommand(record.pid));
}

async function isRunning(sandbox: Sandbox, pid: number): Promise<boolean> {
    return (await sh(sandbox, `kill -0 ${pid}`)).exitCode === 0;
}

/** Starts the app in the background and waits until it is ready; stops it and quotes its log when it is not. */
async function startApp(sandbox: Sandbox, record: CloudDeploymentRecord, inputs: Inputs): Promise<void> {
    record.pid = await startBackground(sandbox, START_COMMAND, { cwd: record.appDir, envs: startEnv(record) });
    await writeFiles(sandbox, [{ path: recordPath(record.deploymentId), data: JSON.stringify(record, null, 2) }]);
    const url = record.healthUrl || `https://${sandbox.getHost(record.port)}/`;
    const deadline = Date.now() + inputs.healthTimeoutSeconds * 1000;
    let last: ProbeResult = { latencyMs: 0 };
    let exited = false;
    while (Date.now() < deadline) {
        last = await probeApp(sandbox, url, 5000);
        if (isReady(last, inputs.healthPath !== undefined)) return;
        if (!(await isRunning(sandbox, record.pid))) {
            exited = true;
            break;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    await stopApp(sandbox, record);
    const answer = last.statusCode !== undefined ? `HTTP ${last.statusCode}` : (last.error ?? "nothing");
    const what = exited ? "exited before it was ready" : `was not ready within healthTimeoutSeconds (${inputs.healthTimeoutSeconds})`;
    throw new Error(
        `deployment ${record.deploymentId}: the app (${record.startCommand}) ${what}; GET ${url} last answered ${answer}. ` +
            `The last lines of its log (${record.logFile} in sandbox ${inputs.sandboxId}):\n${await logTail(sandbox, record.logFile)}`,
    );
}

function outputs(inputs: Inputs, sandbox: Sandbox, record: CloudDeploymentRecord): Outputs {
    return {
        ...inputs,
        deploymentId: record.deploymentId,
        url: `https://${sandbox.getHost(record.port)}`,
        healthUrl: record.healthUrl,
        status: "healthy",
        appDir: record.appDir,
        logFile: record.logFile,
    } satisfies Outputs;
}

/** Uploads the source, installs, starts the app and waits for it to be healthy (create and update alike). */
async function deploy(inputs: Inputs, deploymentId: string): Promise<Outputs> {
    const sandbox = await connectLive(inputs.sandboxId);
    const previous = await readJsonFile<CloudDeploymentRecord>(sandbox, recordPath(deploymentId));
    if (previous && previous.urn !== inputs.tags["flow-nexus:urn"]) {
        throw new Error(`deployment ${deploymentId} in sandbox ${inputs.sandboxId} belongs to ${previous.urn}; it is left as it is`);
    }
    await stopApp(sandbox, previous);
    const appDir = `${HOME}/apps/${deploymentId}`;
    const record: CloudDeploymentRecord = {
        deploymentId,
        urn: inputs.tags["flow-nexus:urn"],
        // The linked resources' names, and the Supabase project's URL and keys; a linked schema's role is the local backend's only, for now.
        env: { ...inputs.env, ...cloudLinkEnv(inputs.links) },
        startCommand: inputs.startCommand,
        port: inputs.port,
        healthUrl: inputs.healthPath ? `https://${sandbox.getHost(inputs.port)}${inputs.healthPath}` : "",
        appDir,
        logFile: `${LOGS_DIR}/app-${deploymentId}.log`,
    };
    // node_modules stays across redeploys: the install command refreshes it faster than it makes it.
    await mustRun(
        sandbox,
        `mkdir -p ${shellQuote(appDir)} ${LOGS_DIR} ${RECORDS_DIR} && find ${shellQuote(appDir)} -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +`,
        `clearing ${appDir} in sandbox ${inputs.sandboxId}`,
    );
    const files = await readSourceFiles(sourceDir(inputs.source));
    // The record goes up with the files, before anything runs.
    await writeFiles(sandbox, [...files.map((f) => ({ path: `${appDir}/${f.relative}`, data: f.data })), { path: recordPath(deploymentId), data: JSON.stringify(record, null, 2) }]);
    if (inputs.installCommand !== undefined) {
        const result = await sh(sandbox, `{ ${inputs.installCommand}\n} >> ${shellQuote(record.logFile)} 2>&1`, { cwd: appDir, envs: inputs.env, timeoutMs: LONG_COMMAND_MS });
        if (result.exitCode !== 0) {
            throw new Error(
                `the install command of deployment ${deploymentId} (${inputs.installCommand}) exited with code ${result.exitCode}; ` +
                    `the last lines of its output:\n${await logTail(sandbox, record.logFile)}`,
            );
        }
    }
    await startApp(sandbox, record, inputs);
    return outputs(inputs, sandbox, record);
}

/** Stops the app and removes its files, record and log; a sandbox that is gone took them with it. */
function remove(sandboxId: string, deploymentId: string): Promise<void> {
    return cleanUpIn(sandboxId, async (sandbox) => {
        await stopApp(sandbox, await readJsonFile<CloudDeploymentRecord>(sandbox, recordPath(deploymentId)));
        await mustRun(
            sandbox,
            `rm -rf ${shellQuote(`${HOME}/apps/${deploymentId}`)} ${recordPath(deploymentId)} ${LOGS_DIR}/app-${deploymentId}.log`,
            `removing deployment ${deploymentId} from sandbox ${sandboxId}`,
        );
    });
}

export const backend: DeploymentBackend = {
    async create(inputs) {
        const deploymentId = deploymentIdFor(inputs.tags["flow-nexus:urn"], inputs.sandboxId);
        // Before anything starts: a billed deployment needs credits.
        if (inputs.billing) await requireCredits(inputs.backend, inputs.billing.account, `deployment ${deploymentId} in sandbox ${inputs.sandboxId}`);
        try {
            return await deploy(inputs, deploymentId);
        } catch (err) {
            // Nothing half-made stays: no process, no files.
            await remove(inputs.sandboxId, deploymentId).catch(() => undefined);
            throw err;
        }
    },

    async read(id, state) {
        const info = await sandboxInfo(state.sandboxId);
        if (!info) return undefined;
        // A paused sandbox serves nothing; an empty hash makes the next `up` redeploy (once it runs again).
        if (info.state === "paused") return { ...state, status: "unhealthy", sourceHash: "" };
        const sandbox = await connectLive(state.sandboxId);
        const record = await readJsonFile<CloudDeploymentRecord>(sandbox, recordPath(id));
        if (!record) return undefined;
        const url = record.healthUrl || `https://${sandbox.getHost(record.port)}/`;
        // Asked twice, so one slow answer is no drift.
        for (let attempt = 0; attempt < 2; attempt++) {
            if (isReady(await probeApp(sandbox, url, 5000), record.healthUrl !== "")) return { ...state, status: "healthy" };
        }
        return { ...state, status: "unhealthy", sourceHash: "" };
    },

    // On failure the app is stopped and the old state kept: read reports it unhealthy, and `up` retries.
    update: (id, _olds, news) => deploy(news, id),

    delete: (id, state) => remove(state.sandboxId, id),
};
