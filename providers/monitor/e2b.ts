/**
 * The cloud Monitor backend: the watchdog runs inside the E2B sandbox of its
 * targets (the first target that names a sandboxId), in
 * `~/.flow-nexus/monitors/<monitorId>/` (./sandbox-watchdog). Its config is
 * a file there that it re-reads every round, so an update rewrites the file
 * and wakes it; its checks and alerts are JSON lines beside it.
 *
 * The monitor's id is derived from its URN, so a create after an
 * interrupted run finds the watchdog that run started and adopts it.
 */
import { createHash } from "crypto";
import type { Sandbox } from "e2b";
import { cleanUpIn, connectLive, mustRun, readText, sandboxInfo, sh, startBackground, STATE_DIR, stopTreeCommand, writeFiles } from "../runtime/e2b";
import type { Inputs, MonitorBackend, Outputs } from "./schema";
import { sandboxWatchdogScript, WATCHDOG_FILES } from "./sandbox-watchdog";

/** What the in-sandbox watchdog reads from config.json. */
interface SandboxMonitorConfig extends Pick<Inputs, "targets" | "intervalSeconds" | "thresholds" | "alerts" | "restartOnFailure"> {
    monitorId: string;
    /** The sandbox it runs in: only deployments there can be restarted. */
    sandboxId: string;
}

/** The monitor's id for the resource `urn`: the same for every run. */
export function monitorIdFor(urn: string): string {
    return `mon-${createHash("sha256").update(urn).digest("hex").slice(0, 12)}`;
}

/** The sandbox the watchdog runs in: the first target's that names one. */
export function watchdogSandbox(inputs: Pick<Inputs, "targets">): string {
    const sandboxId = inputs.targets.find((t) => t.sandboxId)?.sandboxId;
    if (!sandboxId) throw new Error("on the cloud backend the watchdog runs in an E2B sandbox: at least one target must name its sandboxId (and deploymentId)");
    return sandboxId;
}

/** The monitor's folder in its sandbox: its script, config, pid, log, checks.jsonl and alerts.jsonl. */
export const monitorDir = (monitorId: string) => `${STATE_DIR}/monitors/${monitorId}`;

/** The pid of the monitor's live watchdog, or 0 when none runs (its pid file names a dead or reused pid). */
export async function livePid(sandbox: Sandbox, monitorId: string): Promise<number> {
    const pid = Number((await readText(sandbox, `${monitorDir(monitorId)}/${WATCHDOG_FILES.pid}`))?.trim());
    if (!Number.isInteger(pid) || pid <= 0) return 0;
    // Its command line names the monitor's folder, so a reused pid is not mistaken for it.
    const alive = await sh(sandbox, `kill -0 ${pid} 2>/dev/null && tr '\\0' ' ' < /proc/${pid}/cmdline | grep -qF ${monitorId}`);
    return alive.exitCode === 0 ? pid : 0;
}

/** Waits until the watchdog started as `pid` has written its pid file (it handles SIGHUP from then on). */
async function waitReady(sandbox: Sandbox, monitorId: string, pid: number): Promise<void> {
    const file = `${monitorDir(monitorId)}/${WATCHDOG_FILES.pid}`;
    for (let i = 0; i < 60; i++) {
        if ((await readText(sandbox, file))?.trim() === String(pid)) return;
        if ((await sh(sandbox, `kill -0 ${pid}`)).exitCode !== 0) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const log = (await readText(sandbox, `${monitorDir(monitorId)}/${WATCHDOG_FILES.log}`)) ?? "";
    throw new Error(`the watchdog of monitor ${monitorId} did not start in sandbox ${sandbox.sandboxId}; the last lines of its log:\n${log.trimEnd().split("\n").slice(-40).join("\n")}`);
}

/** Writes the config (and the current script) and makes sure a watchdog acts on it: a running one is woken. */
async function apply(monitorId: string, inputs: Inputs): Promise<Outputs> {
    const sandboxId = watchdogSandbox(inputs);
    const sandbox = await connectLive(sandboxId);
    const dir = monitorDir(monitorId);
    const { targets, intervalSeconds, thresholds, alerts, restartOnFailure } = inputs;
    const config: SandboxMonitorConfig = { monitorId, sandboxId, targets, intervalSeconds, thresholds, alerts, restartOnFailure };
    await writeFiles(sandbox, [
        { path: `${dir}/${WATCHDOG_FILES.script}`, data: sandboxWatchdogScript() },
        { path: `${dir}/${WATCHDOG_FILES.config}`, data: JSON.stringify(config, null, 2) },
    ]);
    let pid = await livePid(sandbox, monitorId);
    if (pid) {
        // SIGHUP wakes it from its sleep, so a new interval or target applies now.
        await sh(sandbox, `kill -HUP ${pid}`);
    } else {
        await sh(sandbox, `rm -f ${dir}/${WATCHDOG_FILES.pid}`);
        pid = await startBackground(sandbox, `exec node ${WATCHDOG_FILES.script} ${dir} >> ${WATCHDOG_FILES.log} 2>&1`, { cwd: dir });
        await waitReady(sandbox, monitorId, pid);
    }
    return { ...inputs, monitorId, status: "active", watchdogPid: pid } satisfies Outputs;
}

/** Stops the watchdog and removes its folder; a sandbox that is gone took them with it. */
function remove(sandboxId: string, monitorId: string): Promise<void> {
    return cleanUpIn(sandboxId, async (sandbox) => {
        const pid = await livePid(sandbox, monitorId);
        // The config goes first: a watchdog between rounds exits when it finds it gone.
        await mustRun(sandbox, `rm -f ${monitorDir(monitorId)}/${WATCHDOG_FILES.config}`, `removing the config of monitor ${monitorId}`);
        if (pid) await sh(sandbox, stopTreeCommand(pid));
        await mustRun(sandbox, `rm -rf ${monitorDir(monitorId)}`, `removing monitor ${monitorId} from sandbox ${sandboxId}`);
    });
}

export const backend: MonitorBackend = {
    async create(inputs) {
        const monitorId = monitorIdFor(inputs.tags["flow-nexus:urn"]);
        try {
            return await apply(monitorId, inputs);
        } catch (err) {
            await remove(watchdogSandbox(inputs), monitorId).catch(() => undefined);
            throw err;
        }
    },

    async read(id, state) {
        const sandboxId = watchdogSandbox(state);
        const info = await sandboxInfo(sandboxId);
        if (!info) return undefined;
        // An empty hash differs from the configuration's, so the next `up` starts a watchdog again.
        const stopped = { ...state, status: "stopped" as const, watchdogPid: 0, configHash: "" };
        if (info.state === "paused") return stopped;
        const sandbox = await connectLive(sandboxId);
        if ((await readText(sandbox, `${monitorDir(id)}/${WATCHDOG_FILES.config}`)) === undefined) return undefined;
        const pid = await livePid(sandbox, id);
        return pid ? { ...state, status: "active", watchdogPid: pid } : stopped;
    },

    async update(id, olds, news) {
        // Moved to another sandbox: the old watchdog goes, so exactly one watches.
        if (watchdogSandbox(olds) !== watchdogSandbox(news)) await remove(watchdogSandbox(olds), id);
        return apply(id, news);
    },

    delete: (id, state) => remove(watchdogSandbox(state), id),
};
