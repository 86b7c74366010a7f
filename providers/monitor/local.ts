/**
 * The local Monitor backend. A monitor's configuration lives in the stack's
 * Postgres (`flow_nexus.monitors`), and a detached watchdog (./watchdog),
 * one per monitor, acts on it: it outlives the `pulumi` run, re-reads the
 * configuration every round, records every check (`flow_nexus.monitor_checks`)
 * and every alert (`flow_nexus.monitor_alerts`). Its log and readiness file
 * are in `<dataDir>/monitors/<monitorId>/`.
 */
import { randomBytes } from "crypto";
import { existsSync, promises as fs } from "fs";
import * as path from "path";
import type { ClientBase } from "pg";
import { spawnTypeScriptProcess } from "../runtime/load";
import { logTail } from "../runtime/logs";
import { moduleFile } from "../runtime/package";
import { migratePlatform } from "../runtime/platform-tables";
import { withDatabase } from "../runtime/postgres";
import { databaseDown } from "../runtime/postgres-server";
import { isAlive, pidRunning, ProcessRef, signalPids, stopGroup, waitUntil } from "../runtime/process";
import { startTask, stopTask, taskHost, wakeTask } from "../runtime/task-host";
import type { Inputs, MonitorBackend, Outputs } from "./schema";


const TABLES = `
    create table if not exists flow_nexus.monitors (
        id text primary key,
        config jsonb not null,
        urn text not null,
        watchdog jsonb
    );
    create table if not exists flow_nexus.monitor_checks (
        id bigserial primary key,
        monitor_id text not null,
        target text not null,
        at timestamptz not null default now(),
        ok boolean not null,
        status_code integer,
        latency_ms integer not null,
        error text
    );
    create index if not exists monitor_checks_by_monitor on flow_nexus.monitor_checks (monitor_id, at);
    create table if not exists flow_nexus.monitor_alerts (
        id bigserial primary key,
        monitor_id text not null,
        target text not null,
        at timestamptz not null default now(),
        failures integer not null,
        restarted boolean not null,
        message text not null,
        payload jsonb not null,
        deliveries jsonb not null
    )`;

/** What the watchdog acts on, as stored in `flow_nexus.monitors.config`. */
export type MonitorConfig = Pick<Inputs, "targets" | "intervalSeconds" | "thresholds" | "alerts" | "restartOnFailure">;

/** A monitor's row. */
export interface MonitorRow {
    id: string;
    config: MonitorConfig;
    urn: string;
    /** The watchdog that claimed the monitor last. */
    watchdog: ProcessRef | null;
}

/** One probe of one target, as recorded. */
export interface CheckRecord {
    target: string;
    at: Date;
    ok: boolean;
    statusCode: number | null;
    latencyMs: number;
    error: string | null;
}

/** What a webhook receives. */
export interface AlertPayload {
    monitorId: string;
    target: string;
    url: string;
    failures: number;
    restarted: boolean;
    /** ISO time. */
    at: string;
    message: string;
}

/** How posting an alert to one webhook went. */
export interface Delivery {
    url: string;
    ok: boolean;
    statusCode?: number;
    error?: string;
}

export interface AlertRecord {
    target: string;
    at: Date;
    failures: number;
    restarted: boolean;
    message: string;
    payload: AlertPayload;
    deliveries: Delivery[];
}

/** The folder of monitor `monitorId`'s watchdog (log, readiness). */
export function monitorDir(dataDir: string, monitorId: string): string {
    return path.join(path.resolve(dataDir), "monitors", monitorId);
}

/** Written by the watchdog, holding its pid, once it has claimed its monitor and handles signals. */
export const readyFile = (dir: string) => path.join(dir, "watchdog.ready");

function configOf(inputs: Inputs): MonitorConfig {
    const { targets, intervalSeconds, thresholds, alerts, restartOnFailure } = inputs;
    return { targets, intervalSeconds, thresholds, alerts, restartOnFailure };
}

/** The monitor's row, or undefined once it is deleted. */
export async function loadMonitor(client: ClientBase, monitorId: string): Promise<MonitorRow | undefined> {
    const { rows } = await client.query<MonitorRow>("select id, config, urn, watchdog from flow_nexus.monitors where id = $1", [monitorId]);
    return rows[0];
}

/** Records the calling process as the monitor's watchdog; false when the monitor is gone. */
export async function claimMonitor(client: ClientBase, monitorId: string, watchdog: ProcessRef): Promise<boolean> {
    const { rowCount } = await client.query("update flow_nexus.monitors set watchdog = $2 where id = $1", [monitorId, JSON.stringify(watchdog)]);
    return (rowCount ?? 0) > 0;
}

export async function recordChecks(client: ClientBase, monitorId: string, checks: Array<Omit<CheckRecord, "at">>): Promise<void> {
    if (checks.length === 0) return;
    const values = checks.map((_, i) => `($1, $${i * 5 + 2}, $${i * 5 + 3}, $${i * 5 + 4}, $${i * 5 + 5}, $${i * 5 + 6})`);
    await client.query(
        `insert into flow_nexus.monitor_checks (monitor_id, target, ok, status_code, latency_ms, error) values ${values.join(", ")}`,
        [monitorId, ...checks.flatMap((c) => [c.target, c.ok, c.statusCode, c.latencyMs, c.error])],
    );
}

export async function recordAlert(client: ClientBase, payload: AlertPayload, deliveries: Delivery[]): Promise<void> {
    await client.query(
        `insert into flow_nexus.monitor_alerts (monitor_id, target, at, failures, restarted, message, payload, deliveries)
         values ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [payload.monitorId, payload.target, payload.at, payload.failures, payload.restarted, payload.message, JSON.stringify(payload), JSON.stringify(deliveries)],
    );
}

/** Drops checks older than `days`: a monitor probing every second must not fill the disk. */
export async function pruneChecks(client: ClientBase, monitorId: string, days = 7): Promise<void> {
    await client.query("delete from flow_nexus.monitor_checks where monitor_id = $1 and at < now() - make_interval(days => $2)", [monitorId, days]);
}

/** The checks of a monitor (at or after `since`, when given), oldest first (for tools, the dashboard and tests). */
export function readChecks(dataDir: string, monitorId: string, since?: Date): Promise<CheckRecord[]> {
    return withDatabase(dataDir, async (client) => {
        await migratePlatform(client, "monitor", [TABLES]);
        const { rows } = await client.query<CheckRecord>(
            `select target, at, ok, status_code as "statusCode", latency_ms as "latencyMs", error
             from flow_nexus.monitor_checks where monitor_id = $1 and ($2::timestamptz is null or at >= $2) order by id`,
            [monitorId, since ?? null],
        );
        return rows;
    });
}

/** Every alert of a monitor, with how each webhook took it, oldest first (for tools and tests). */
export function readAlerts(dataDir: string, monitorId: string): Promise<AlertRecord[]> {
    return withDatabase(dataDir, async (client) => {
        await migratePlatform(client, "monitor", [TABLES]);
        const { rows } = await client.query<AlertRecord>(
            "select target, at, failures, restarted, message, payload, deliveries from flow_nexus.monitor_alerts where monitor_id = $1 order by id",
            [monitorId],
        );
        return rows;
    });
}

/**
 * Whether process `pid`, the watchdog the monitor's row or state names,
 * watches it now: the stack's watchdog process, or one an older flow-nexus
 * started for it alone (whose command line names the monitor: a reused pid
 * is never taken for it).
 */
export function watching(dataDir: string, pid: number | undefined, monitorId: string): boolean {
    return pid !== undefined && (taskHost(dataDir, "watchdog", monitorId)?.pid === pid || pidRunning(pid, monitorId));
}

/** Has the stack's watchdog process (started if none runs) watch the monitor; resolves to that process once it has claimed it. */
async function startWatchdog(dataDir: string, monitorId: string): Promise<ProcessRef> {
    const dir = monitorDir(dataDir, monitorId);
    await fs.mkdir(dir, { recursive: true });
    await fs.rm(readyFile(dir), { force: true });
    const logFile = path.join(dir, "watchdog.log");
    const host = await startTask(dataDir, "watchdog", monitorId, {
        logFile,
        spawn: (hostLog) => spawnTypeScriptProcess(moduleFile(__dirname, "watchdog"), [path.resolve(dataDir)], { cwd: path.resolve(dataDir), logFile: hostLog }),
        logTail: (file) => logTail(file),
    });
    const ready = async () => (await fs.readFile(readyFile(dir), "utf8").catch(() => "")) === String(host.pid);
    await waitUntil(async () => (await ready()) || taskHost(dataDir, "watchdog", monitorId) === undefined, 60_000, 20);
    if (!(await ready())) throw new Error(`the watchdog of monitor ${monitorId} did not start; the last lines of its log (${logFile}):\n${await logTail(logFile)}`);
    return host;
}

/** Stores the configuration and makes sure a watchdog acts on it: a running one re-reads it at once. */
async function apply(monitorId: string, inputs: Inputs): Promise<Outputs> {
    const dataDir = inputs.backend.dataDir!;
    const watchdog = await withDatabase(dataDir, async (client) => {
        await client.query(
            `insert into flow_nexus.monitors (id, config, urn) values ($1, $2, $3)
             on conflict (id) do update set config = excluded.config, urn = excluded.urn`,
            [monitorId, JSON.stringify(configOf(inputs)), inputs.tags["flow-nexus:urn"]],
        );
        return (await loadMonitor(client, monitorId))!.watchdog;
    });
    let ref: ProcessRef;
    if (watchdog && watching(dataDir, watchdog.pid, monitorId)) {
        // Woken from its sleep, it applies a new interval or target now (one an older flow-nexus started alone wakes on SIGHUP).
        if (!(await wakeTask(dataDir, "watchdog", monitorId))) signalPids([watchdog.pid], "SIGHUP");
        ref = watchdog;
    } else {
        ref = await startWatchdog(dataDir, monitorId);
    }
    return { ...inputs, monitorId, status: "active", watchdogPid: ref.pid } satisfies Outputs;
}

/** Stops the watchdog and deletes the monitor's rows and folder; nothing there is not an error. */
async function remove(dataDir: string, monitorId: string): Promise<void> {
    const watchdog = await withDatabase(dataDir, async (client) => {
        await migratePlatform(client, "monitor", [TABLES]);
        return (await loadMonitor(client, monitorId))?.watchdog;
    });
    // The watchdog first, so it records nothing more; one that never claimed the row exits when it finds the row gone.
    await stopTask(dataDir, "watchdog", monitorId);
    if (watchdog && isAlive(watchdog, monitorId)) await stopGroup(watchdog);
    await withDatabase(dataDir, async (client) => {
        for (const table of ["monitor_checks", "monitor_alerts"]) {
            await client.query(`delete from flow_nexus.${table} where monitor_id = $1`, [monitorId]);
        }
        await client.query("delete from flow_nexus.monitors where id = $1", [monitorId]);
    });
    await fs.rm(monitorDir(dataDir, monitorId), { recursive: true, force: true });
}

export const backend: MonitorBackend = {
    async down(id, state) {
        const database = await databaseDown(state.backend);
        if (database) return database;
        // Down, not gone: its folder is there and its watchdog is not.
        const dataDir = state.backend.dataDir!;
        if (!existsSync(monitorDir(dataDir, id)) || watching(dataDir, state.watchdogPid, id)) return undefined;
        return `the watchdog of monitor ${id} is not running`;
    },

    async create(inputs) {
        const dataDir = inputs.backend.dataDir!;
        const monitorId = await withDatabase(dataDir, async (client) => {
            await migratePlatform(client, "monitor", [TABLES]);
            // One an interrupted run of this resource made is adopted, not duplicated.
            const { rows } = await client.query<{ id: string }>("select id from flow_nexus.monitors where urn = $1", [inputs.tags["flow-nexus:urn"]]);
            return rows[0]?.id ?? `mon-${randomBytes(6).toString("hex")}`;
        });
        try {
            return await apply(monitorId, inputs);
        } catch (err) {
            await remove(dataDir, monitorId);
            throw err;
        }
    },

    async read(id, state) {
        const row = await withDatabase(state.backend.dataDir!, async (client) => {
            await migratePlatform(client, "monitor", [TABLES]);
            return loadMonitor(client, id);
        });
        if (!row) return undefined;
        if (row.watchdog && watching(state.backend.dataDir!, row.watchdog.pid, id)) return { ...state, status: "active", watchdogPid: row.watchdog.pid };
        // An empty hash differs from the configuration's, so the next `up` starts a watchdog again.
        return { ...state, status: "stopped", watchdogPid: 0, configHash: "" };
    },

    async update(id, _olds, news) {
        return apply(id, news);
    },

    async delete(id, state) {
        await remove(state.backend.dataDir!, id);
    },
};
