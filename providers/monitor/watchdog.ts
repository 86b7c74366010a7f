/**
 * The watchdogs of a stack's monitors: one detached process per stack
 * (`node watchdog.ts <dataDir>`, started by the local backend through
 * ../runtime/task-host) that outlives the `pulumi` run and watches each
 * monitor assigned to it. Every round a watch re-reads its monitor's
 * configuration from Postgres, probes each target, records the checks, and
 * after `consecutiveFailures` failed checks in a row restarts the target's
 * deployment (when asked to) and POSTs an alert to each webhook. A SIGHUP
 * (a configuration changed) starts the next rounds at once. The process
 * also keeps the stack's gateway running. A watch ends when its monitor is
 * deleted or another watchdog claims it; the process, when none is left.
 */
import { existsSync, promises as fs } from "fs";
import * as http from "http";
import * as https from "https";
import * as path from "path";
import { pathToFileURL } from "url";
import { restartDeployment } from "../deployment/api";
import { ensureGateway, gatewayDown } from "../runtime/gateway";
import { probe, ProbeResult } from "../runtime/http";
import { withDatabase } from "../runtime/postgres";
import { processRef } from "../runtime/process";
import { serveTasks, TaskContext, TaskLog } from "../runtime/task-host";
import {
    AlertPayload,
    claimMonitor,
    Delivery,
    loadMonitor,
    monitorDir,
    MonitorConfig,
    pruneChecks,
    readyFile,
    recordAlert,
    recordChecks,
} from "./local";
import type { AlertChannel, Target, Thresholds } from "./schema";

/** How one check of a target went. */
export interface Verdict {
    ok: boolean;
    /** Why it failed. */
    error?: string;
}

/** Pure, for the unit tests: a check fails on no answer, a non-2xx answer, or an answer slower than latencyMs. */
export function judge(result: ProbeResult, latencyMs: number): Verdict {
    if (result.statusCode === undefined) return { ok: false, error: result.error ?? "no answer" };
    if (result.statusCode < 200 || result.statusCode > 299) return { ok: false, error: `HTTP ${result.statusCode}` };
    if (result.latencyMs > latencyMs) return { ok: false, error: `answered in ${result.latencyMs} ms, above latencyMs (${latencyMs})` };
    return { ok: true };
}

/**
 * Pure, for the unit tests: the failure counts after a round, and the
 * targets whose count reached `threshold`. Those are due an alert and start
 * counting again from 0, so a target that stays down alerts once every
 * `threshold` rounds, not every round. Targets no longer checked are dropped.
 */
export function tally(
    counts: ReadonlyMap<string, number>,
    verdicts: ReadonlyArray<{ name: string; ok: boolean }>,
    threshold: number,
): { counts: Map<string, number>; due: Array<{ name: string; failures: number }> } {
    const next = new Map<string, number>();
    const due: Array<{ name: string; failures: number }> = [];
    for (const { name, ok } of verdicts) {
        const failures = ok ? 0 : (counts.get(name) ?? 0) + 1;
        if (failures >= threshold) due.push({ name, failures });
        next.set(name, failures >= threshold ? 0 : failures);
    }
    return { counts: next, due };
}

/** Pure, for the unit tests: the alert's one-line summary. */
export function alertMessage(target: Target, failures: number, lastError: string | undefined, restart: { attempted: boolean; error?: string }): string {
    let message = `${target.name} failed ${failures} check${failures === 1 ? "" : "s"} in a row (last: ${lastError ?? "unknown"})`;
    if (restart.attempted) {
        message += restart.error === undefined ? `; restarted deployment ${target.deploymentId}, healthy again` : `; restarting deployment ${target.deploymentId} failed: ${restart.error}`;
    }
    return message;
}

/** A probe may take a little longer than latencyMs, so a slow answer is seen as slow rather than as none. */
const probeTimeout = (thresholds: Thresholds) => Math.max(thresholds.latencyMs, 1000) + 1000;
const POST_TIMEOUT_MS = 5000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** Sends the alert to one channel; never throws, reports how it went. */
export async function deliver(channel: AlertChannel, payload: AlertPayload): Promise<Delivery> {
    if (channel.type === "webhook") return postAlert(channel.url, payload);
    // A file channel appends one JSON line per alert: a local sink that needs no receiver.
    const url = pathToFileURL(channel.path).href;
    try {
        await fs.appendFile(channel.path, `${JSON.stringify(payload)}\n`);
        return { url, ok: true };
    } catch (err) {
        return { url, ok: false, error: (err as Error).message };
    }
}

/** POSTs the alert as JSON; never throws, reports how it went. */
export function postAlert(url: string, payload: AlertPayload): Promise<Delivery> {
    const body = JSON.stringify(payload);
    return new Promise((resolve) => {
        let done = false;
        const finish = (delivery: Omit<Delivery, "url">) => {
            if (done) return;
            done = true;
            resolve({ url, ...delivery });
        };
        try {
            const client = url.startsWith("https:") ? https : http;
            const req = client.request(
                url,
                {
                    method: "POST",
                    agent: false,
                    timeout: POST_TIMEOUT_MS,
                    headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), "user-agent": "flow-nexus-monitor" },
                },
                (res) => {
                    res.resume();
                    const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
                    res.once("end", () => finish({ ok, statusCode: res.statusCode, ...(ok ? {} : { error: `HTTP ${res.statusCode}` }) }));
                    res.once("error", (err) => finish({ ok: false, statusCode: res.statusCode, error: err.message }));
                },
            );
            req.once("timeout", () => req.destroy(new Error(`no answer within ${POST_TIMEOUT_MS} ms`)));
            req.once("error", (err: NodeJS.ErrnoException) => finish({ ok: false, error: err.message || err.code }));
            req.end(body);
        } catch (err) {
            finish({ ok: false, error: (err as Error).message });
        }
    });
}

/** Restarts the target's deployment if asked, alerts every webhook, and records the alert. */
async function raise(dataDir: string, monitorId: string, config: MonitorConfig, target: Target, failures: number, log: TaskLog, lastError?: string): Promise<void> {
    const attempted = config.restartOnFailure && target.deploymentId !== undefined && target.sandboxId !== undefined;
    let restartError: string | undefined;
    if (attempted) {
        log(`${target.name}: ${failures} failures in a row; restarting deployment ${target.deploymentId}`);
        try {
            await restartDeployment(dataDir, target.sandboxId!, target.deploymentId!);
        } catch (err) {
            // The whole error (with the app's log tail) goes to our log; the alert gets its first line.
            log(`${target.name}: restart failed: ${(err as Error).message}`);
            restartError = (err as Error).message.split("\n")[0];
        }
    }
    const payload: AlertPayload = {
        monitorId,
        target: target.name,
        url: target.url,
        failures,
        restarted: attempted && restartError === undefined,
        at: new Date().toISOString(),
        message: alertMessage(target, failures, lastError, { attempted, error: restartError }),
    };
    const deliveries = await Promise.all(config.alerts.map((alert) => deliver(alert, payload)));
    await withDatabase(dataDir, (client) => recordAlert(client, payload, deliveries));
    const failed = deliveries.filter((d) => !d.ok);
    log(`alert: ${payload.message}; ${deliveries.length - failed.length} of ${deliveries.length} channels took it${failed.map((d) => `; ${d.url}: ${d.error}`).join("")}`);
}

/** Probes every target once, records the checks, and raises the alerts that are due. */
async function round(dataDir: string, monitorId: string, config: MonitorConfig, counts: Map<string, number>, log: TaskLog): Promise<Map<string, number>> {
    const checks = await Promise.all(
        config.targets.map(async (target) => {
            const result = await probe(target.url, probeTimeout(config.thresholds));
            return { target, result, verdict: judge(result, config.thresholds.latencyMs) };
        }),
    );
    await withDatabase(dataDir, (client) =>
        recordChecks(
            client,
            monitorId,
            checks.map(({ target, result, verdict }) => ({
                target: target.name,
                ok: verdict.ok,
                statusCode: result.statusCode ?? null,
                latencyMs: result.latencyMs,
                error: verdict.error ?? null,
            })),
        ),
    );
    const { counts: next, due } = tally(
        counts,
        checks.map((c) => ({ name: c.target.name, ok: c.verdict.ok })),
        config.thresholds.consecutiveFailures,
    );
    await Promise.all(
        due.map(({ name, failures }) => {
            const check = checks.find((c) => c.target.name === name)!;
            return raise(dataDir, monitorId, config, check.target, failures, log, check.verdict.error);
        }),
    );
    return next;
}

/** How often the stack's gateway is looked at. */
const GATEWAY_EVERY_MS = 2000;

/**
 * Keeps the stack's gateway running: one that died (killed, crashed) is
 * started again on its port. A timer, beside the rounds, so that a slow
 * monitor interval does not leave the app without its APIs.
 */
function keepGatewayUp(dataDir: string, log: TaskLog): void {
    const look = async () => {
        if (!existsSync(path.join(dataDir, "postgres", "instance.json")) || !(await gatewayDown(dataDir))) return;
        log("the stack's gateway is down: starting it again");
        const gateway = await ensureGateway(dataDir);
        log(`the gateway is back on ${gateway.url}`);
    };
    let looking = false;
    setInterval(() => {
        if (looking) return;
        looking = true;
        look()
            .catch((err: Error) => log(`could not start the gateway: ${err.message}`))
            .finally(() => (looking = false));
    }, GATEWAY_EVERY_MS).unref();
}

/** Watches monitor `monitorId` of the stack in `dataDir` until it is deleted, claimed by another, or taken off this process. */
export async function watch(dataDir: string, monitorId: string, { log, stop, sleep }: TaskContext): Promise<void> {
    const me = processRef(process.pid)!;
    if (!(await withDatabase(dataDir, (client) => claimMonitor(client, monitorId, me)))) {
        log(`monitor ${monitorId} does not exist; exiting`);
        return;
    }
    await fs.writeFile(readyFile(monitorDir(dataDir, monitorId)), String(process.pid));
    log(`watching monitor ${monitorId}`);
    let counts = new Map<string, number>();
    let pruned = 0;
    while (!stop.aborted) {
        const started = Date.now();
        let intervalMs = 1000;
        try {
            // Connecting to a stack whose database was removed would create a new, empty one.
            if (!existsSync(path.join(dataDir, "postgres", "instance.json"))) {
                log("the stack's database is gone; exiting");
                return;
            }
            const row = await withDatabase(dataDir, (client) => loadMonitor(client, monitorId));
            if (!row) {
                log("monitor deleted; exiting");
                return;
            }
            if (row.watchdog?.pid !== process.pid) {
                log(`watchdog ${row.watchdog?.pid} took over; exiting`);
                return;
            }
            intervalMs = row.config.intervalSeconds * 1000;
            counts = await round(dataDir, monitorId, row.config, counts, log);
            if (Date.now() - pruned > PRUNE_EVERY_MS) {
                await withDatabase(dataDir, (client) => pruneChecks(client, monitorId));
                pruned = Date.now();
            }
        } catch (err) {
            // A watchdog that dies stops watching: a passing fault (the database restarting) must not end it.
            log(`round failed, retrying: ${(err as Error).stack ?? err}`);
        }
        await sleep(Math.max(0, started + intervalMs - Date.now()));
    }
}

if (require.main === module) {
    const log: TaskLog = (message) => console.log(`${new Date().toISOString()} ${message}`);
    process.on("unhandledRejection", (err) => log(`unhandled rejection: ${(err as Error)?.stack ?? err}`));
    const dataDir = process.argv[2];
    keepGatewayUp(dataDir, log);
    serveTasks(dataDir, "watchdog", (monitorId, ctx) => watch(dataDir, monitorId, ctx)).then(
        () => process.exit(0),
        (err) => {
            log(`failed: ${(err as Error).stack ?? err}`);
            process.exit(1);
        },
    );
}
