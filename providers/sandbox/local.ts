/**
 * The local Sandbox backend: a process sandbox. A sandbox is a folder of
 * the stack's data (./record), kept alive by a detached supervisor
 * (./supervisor) that enforces its timeout and meters its running time; its
 * commands run as ./processes runs them.
 */
import { randomBytes } from "crypto";
import { promises as fs } from "fs";
import * as path from "path";
import { requireCredits } from "../billing/api";
import { grantLinks } from "../runtime/link-env";
import { spawnTypeScriptProcess } from "../runtime/load";
import { logTail } from "../runtime/logs";
import { moduleFile } from "../runtime/package";
import { allocatePorts, isListening } from "../runtime/ports";
import { ProcessRef, signalPids, waitUntil } from "../runtime/process";
import { startTask, wakeTask } from "../runtime/task-host";
import { fingerprint } from "./fingerprint";
import { meterUsage } from "./metering";
import { isolationHere, killProcesses, runCommand } from "./processes";
import { isPaused, listRecords, readRecord, readyFile, SandboxRecord, sandboxDir, setPaused, supervisorAlive, writeRecord } from "./record";
import type { Inputs, Outputs, SandboxBackend } from "./schema";
import { tearDown } from "./teardown";

const HOST = "127.0.0.1";

/** Has the stack's supervisor process (started if none runs) supervise the sandbox in `dir`; resolves to that process. */
async function startSupervisor(dir: string, record: SandboxRecord): Promise<ProcessRef> {
    const dataDir = path.dirname(path.dirname(dir));
    const host = await startTask(dataDir, "supervisor", record.id, {
        logFile: path.join(dir, "logs", "supervisor.log"),
        spawn: (logFile) => spawnTypeScriptProcess(moduleFile(__dirname, "supervisor"), [dataDir], { cwd: dataDir, logFile }),
        logTail: (file) => logTail(file),
    });
    return host;
}

function outputs(inputs: Inputs, record: SandboxRecord, dir: string, paused: boolean): Outputs {
    const { template, envs, metadata, tags, timeoutSeconds, onTimeout } = record;
    return {
        ...inputs,
        template,
        envs,
        links: record.links ?? [],
        metadata,
        tags,
        timeoutSeconds,
        onTimeout,
        sandboxId: record.id,
        status: paused ? "paused" : "running",
        host: HOST,
        allocatedPorts: record.ports,
        urls: record.ports.map((port) => `http://${HOST}:${port}`),
        startedAt: record.startedAt,
        endAt: record.endAt,
        isolation: record.isolation,
        workDir: path.join(dir, "work"),
    } satisfies Outputs;
}

async function create(inputs: Inputs): Promise<Outputs> {
    const dataDir = inputs.backend.dataDir!;
    const records = await listRecords(dataDir);
    const wanted = fingerprint(inputs);
    const mine = (r: SandboxRecord) => r.tags["flow-nexus:urn"] === inputs.tags["flow-nexus:urn"] && r.fingerprint === wanted;
    for (const record of records.filter(mine)) {
        const dir = sandboxDir(dataDir, record.id);
        // Made by an interrupted run of this resource: adopt it if it lives, else clear what it left.
        if (supervisorAlive(dataDir, record)) return outputs(inputs, record, dir, await isPaused(dir));
        await tearDown(dir, record.id);
    }

    const id = `sbx-${randomBytes(6).toString("hex")}`;
    // Before anything starts: a billed sandbox needs credits.
    if (inputs.billing) await requireCredits(dataDir, inputs.billing.account, `sandbox ${id} (${inputs.template})`);
    const dir = sandboxDir(dataDir, id);
    try {
        for (const sub of ["work", "home", "logs", "procs"]) await fs.mkdir(path.join(dir, sub), { recursive: true });
        const startedAt = new Date();
        const record: SandboxRecord = {
            id,
            fingerprint: wanted,
            template: inputs.template,
            envs: inputs.envs,
            metadata: inputs.metadata,
            tags: inputs.tags,
            // Ports another live sandbox holds may be free only because its server is not up yet.
            ports: await allocatePorts(inputs.ports, new Set(records.filter((r) => supervisorAlive(dataDir, r)).flatMap((r) => r.ports))),
            startedAt: startedAt.toISOString(),
            endAt: new Date(startedAt.getTime() + inputs.timeoutSeconds * 1000).toISOString(),
            timeoutSeconds: inputs.timeoutSeconds,
            onTimeout: inputs.onTimeout,
            isolation: await isolationHere(),
            billing: inputs.billing,
            links: inputs.links,
        };
        // Recorded before the script runs, so an interrupted create is found (by its URN) and cleared.
        await writeRecord(dir, record);
        await grantLinks(dataDir, id, inputs.links);
        if (inputs.startupScript !== undefined) {
            const result = await runCommand(dir, record, inputs.startupScript, {
                logFile: path.join(dir, "logs", "startup.log"),
                timeoutMs: inputs.timeoutSeconds * 1000,
            });
            if (result.exitCode !== 0) {
                const how = result.timedOut
                    ? `did not finish within timeoutSeconds (${inputs.timeoutSeconds})`
                    : result.exitCode === null
                      ? `was killed by ${result.signal}`
                      : `exited with code ${result.exitCode}`;
                throw new Error(`the startup script of sandbox ${id} ${how}; the last lines of its output:\n${result.output}`);
            }
        }
        record.supervisor = await startSupervisor(dir, record);
        await writeRecord(dir, record);
        return outputs(inputs, record, dir, false);
    } catch (err) {
        await tearDown(dir, id);
        throw err;
    }
}

/**
 * Starts a sandbox whose supervisor died (a reboot, a kill) again in place:
 * its folder and files are kept, what is left of its processes is ended, its
 * ports are kept where they are free, and its running time and timeout count
 * from now (the time it was down is not charged).
 */
async function restart(dir: string, record: SandboxRecord): Promise<SandboxRecord> {
    await killProcesses(dir, record.id);
    await fs.rm(path.join(dir, "procs"), { recursive: true, force: true });
    await fs.mkdir(path.join(dir, "procs"), { recursive: true });
    // An older flow-nexus's own supervisor of this sandbox left its readiness file.
    await Promise.all([fs.rm(readyFile(dir), { force: true }), setPaused(dir, false)]);
    const taken = await Promise.all(record.ports.map((port) => isListening(port)));
    const dataDir = path.dirname(path.dirname(dir));
    const others = new Set((await listRecords(dataDir)).filter((r) => r.id !== record.id && supervisorAlive(dataDir, r)).flatMap((r) => r.ports));
    const ports = taken.some(Boolean) ? await allocatePorts(record.ports.length, others) : record.ports;
    const now = new Date();
    const restarted: SandboxRecord = { ...record, ports, startedAt: now.toISOString(), endAt: new Date(now.getTime() + record.timeoutSeconds * 1000).toISOString(), supervisor: undefined };
    await writeRecord(dir, restarted);
    restarted.supervisor = await startSupervisor(dir, restarted);
    await writeRecord(dir, restarted);
    return restarted;
}

export const backend: SandboxBackend = {
    create,

    async read(id, state) {
        const dir = sandboxDir(state.backend.dataDir!, id);
        const record = await readRecord(dir);
        if (!record) return undefined;
        // Down but not gone (its files are there): the next up starts it again.
        if (!supervisorAlive(state.backend.dataDir!, record)) return { ...outputs(state, record, dir, false), status: "stopped" };
        return outputs(state, record, dir, await isPaused(dir));
    },

    async down(id, state) {
        const record = await readRecord(sandboxDir(state.backend.dataDir!, id));
        return record && !supervisorAlive(state.backend.dataDir!, record) ? `sandbox ${record.id} is not running (its supervisor is gone)` : undefined;
    },

    async update(id, olds, news) {
        const dir = sandboxDir(news.backend.dataDir!, id);
        let record = await readRecord(dir);
        if (!record) throw new Error(`sandbox ${id} is gone (expired or deleted); run \`pulumi refresh\`, then \`pulumi up\` creates a new one`);
        if (!supervisorAlive(news.backend.dataDir!, record)) record = await restart(dir, record);
        const next: SandboxRecord = { ...record, timeoutSeconds: news.timeoutSeconds, onTimeout: news.onTimeout, tags: news.tags, billing: news.billing };
        // Like E2B's setTimeout: a new timeout counts from now.
        if (news.timeoutSeconds !== olds.timeoutSeconds) next.endAt = new Date(Date.now() + news.timeoutSeconds * 1000).toISOString();
        await writeRecord(dir, next);
        // Its supervisor applies the new timeout now (one an older flow-nexus started alone wakes on SIGHUP).
        if (!(await wakeTask(news.backend.dataDir!, "supervisor", record.id))) signalPids([record.supervisor!.pid], "SIGHUP");
        // A paused sandbox given time again is resumed by its supervisor; report it once it has.
        if (Date.parse(next.endAt) > Date.now()) await waitUntil(async () => !(await isPaused(dir)), 5000);
        return outputs(news, next, dir, await isPaused(dir));
    },

    async delete(id, state) {
        const dir = sandboxDir(state.backend.dataDir!, id);
        const record = await readRecord(dir);
        // Metering wraps the teardown: the last stretch of running time is charged before the sandbox goes.
        if (record) await meterUsage(state.backend.dataDir!, record);
        await tearDown(dir, id);
    },
};
