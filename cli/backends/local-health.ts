/**
 * Live health of a local stack's services, from its data folder: the
 * database's port, the gateway's process, the sandbox's supervisor, the
 * bucket's folder, the rows the schema, realtime and monitor keep, the
 * ledger, a realtime round trip through the gateway, and a real GET of the
 * app's health endpoint. Nothing here starts anything: a database that is
 * not running is reported down, not started (the next `up`, or a billing
 * command, starts it on demand).
 */
import * as path from "path";
import type { ClientBase } from "pg";
import { balanceOf, ensureLedger, monthOf } from "../../providers/billing/ledger";
import { paymentsIn } from "../../providers/billing/payments";
import { readPolicy } from "../../providers/billing/policy";
import { spentUsdCents } from "../../providers/billing/refill";
import { watching } from "../../providers/monitor/local";
import { gatewayKeys, gatewayProcess, gatewayWanted } from "../../providers/runtime/gateway";
import { probe } from "../../providers/runtime/http";
import { realtimeRoundTrip } from "../../providers/runtime/realtime-probe";
import { readJson } from "../../providers/runtime/files";
import { withDatabase } from "../../providers/runtime/postgres";
import { databaseDir } from "../../providers/runtime/stack-data";
import { isListening } from "../../providers/runtime/ports";
import type { ProcessRef } from "../../providers/runtime/process";
import { readSandbox } from "../../providers/sandbox/record";
import { bucketDir, readRules } from "../../providers/storage/layout";
import { formatCredits, formatDuration, formatUsd } from "../output";
import type { StackOutputs } from "../outputs";
import type { BalanceReport, Health, ServiceCheck } from "./types";

/** How long the app gets to answer its health check. */
const PROBE_TIMEOUT_MS = 5000;

export const check = (service: string, phase: number | undefined, health: Health, detail: string): ServiceCheck =>
    phase === undefined ? { service, health, detail } : { service, phase, health, detail };

export const missing = (service: string, phase: number, output: string) => check(service, phase, "unknown", `not in the stack's outputs (${output})`);

export async function tableExists(client: ClientBase, table: string): Promise<boolean> {
    const { rows } = await client.query<{ ok: boolean }>("select to_regclass($1) is not null as ok", [table]);
    return rows[0].ok;
}

async function database(dataDir: string): Promise<ServiceCheck> {
    const instance = await readJson<{ port: number }>(path.join(dataDir, "postgres", "instance.json"));
    if (!instance) return check("database", undefined, "down", `no database in ${databaseDir(dataDir)} (never created, or removed)`);
    if (!(await isListening(instance.port))) {
        return check("database", undefined, "down", `PostgreSQL is not running (port ${instance.port}); the next pulumi up or flow-nexus billing command starts it`);
    }
    return check("database", undefined, "up", `PostgreSQL on 127.0.0.1:${instance.port}`);
}

async function auth(client: ClientBase, o: StackOutputs): Promise<ServiceCheck> {
    if (!o.userId) return missing("auth", 1, "userId");
    if (!(await tableExists(client, "flow_nexus.users"))) return check("auth", 1, "down", "no users table");
    const { rows } = await client.query<{ email: string }>("select email from flow_nexus.users where id = $1", [o.userId]);
    return rows[0] ? check("auth", 1, "up", `user ${rows[0].email}`) : check("auth", 1, "down", `user ${o.userId} is gone`);
}

export async function schema(client: ClientBase, o: StackOutputs): Promise<ServiceCheck> {
    const name = o.schema?.name;
    if (!name) return missing("schema", 2, "schema");
    if (!(await tableExists(client, "flow_nexus.schema_migrations"))) return check("schema", 2, "down", "no migrations recorded");
    const { rows } = await client.query<{ n: string }>("select count(*) as n from flow_nexus.schema_migrations where schema = $1", [name]);
    const recorded = Number(rows[0].n);
    const expected = o.schema?.applied?.length ?? 0;
    if (recorded === 0) return check("schema", 2, "down", `schema ${name} has no migrations applied`);
    if (recorded < expected) return check("schema", 2, "unhealthy", `schema ${name}: ${recorded} of ${expected} migrations recorded`);
    return check("schema", 2, "up", `${name} at ${o.schema?.version} (${recorded} migration${recorded === 1 ? "" : "s"})`);
}

/** The stack's gateway (storage, auth and realtime APIs): its process, and an answer on its port. */
async function gateway(dataDir: string): Promise<ServiceCheck> {
    if (!(await gatewayWanted(dataDir))) return check("gateway", undefined, "unknown", "the stack has no gateway (no bucket, user or subscription yet)");
    const running = await gatewayProcess(dataDir);
    if (!running) return check("gateway", undefined, "down", "the gateway is not running; the monitor's watchdog, or the next pulumi up, starts it again");
    const answer = await probe(`${running.url}/health`, PROBE_TIMEOUT_MS);
    if (answer.statusCode !== 200) return check("gateway", undefined, "unhealthy", `GET ${running.url}/health: ${answer.statusCode ?? answer.error}`);
    return check("gateway", undefined, "up", `${running.url} (pid ${running.process.pid}): storage, auth and realtime`);
}

/** A probe row's INSERT, round trip through the realtime server at `url` over a WebSocket, in words. */
export async function roundTripAt(url: string, key: string, client: ClientBase): Promise<string> {
    const trip = await realtimeRoundTrip(url, key, client);
    return trip.ok ? `a change round trip in ${trip.ms} ms` : `no round trip: ${trip.error}`;
}

/** Realtime proved by a round trip through the gateway. */
async function roundTrip(dataDir: string, client: ClientBase): Promise<string> {
    const running = await gatewayProcess(dataDir);
    if (!running) return "no round trip: the gateway is not running";
    return roundTripAt(running.url, (await gatewayKeys(dataDir)).serviceRoleKey, client);
}

/** The subscription's table in the publication, and a change's round trip (`trip`, in words). */
export async function realtime(client: ClientBase, o: StackOutputs, trip: (client: ClientBase) => Promise<string>): Promise<ServiceCheck> {
    if (!o.subscriptionId) return missing("realtime", 2, "subscriptionId");
    if (!(await tableExists(client, "flow_nexus.realtime_subscriptions"))) return check("realtime", 2, "down", "no subscriptions recorded");
    const { rows } = await client.query<{ table_name: string; published: boolean }>(
        `select r.table_name, exists (
             select 1 from pg_publication_tables p
             where p.pubname = 'supabase_realtime' and p.schemaname || '.' || p.tablename = r.table_name
         ) as published
         from flow_nexus.realtime_subscriptions r where r.id = $1`,
        [o.subscriptionId],
    );
    if (!rows[0]) return check("realtime", 2, "down", `subscription ${o.subscriptionId} is gone`);
    if (!rows[0].published) return check("realtime", 2, "unhealthy", `${rows[0].table_name} is not in the supabase_realtime publication`);
    const said = await trip(client);
    return check("realtime", 2, said.startsWith("no") ? "down" : "up", `${rows[0].table_name} in the supabase_realtime publication; ${said}`);
}

async function monitor(dataDir: string, client: ClientBase, o: StackOutputs): Promise<ServiceCheck> {
    const id = o.monitoring?.monitorId;
    if (!id) return missing("monitor", 4, "monitoring.monitorId");
    if (!(await tableExists(client, "flow_nexus.monitors"))) return check("monitor", 4, "down", "no monitors recorded");
    const { rows } = await client.query<{ watchdog: ProcessRef | null }>("select watchdog from flow_nexus.monitors where id = $1", [id]);
    if (!rows[0]) return check("monitor", 4, "down", `monitor ${id} is gone`);
    const last = await client.query<{ at: Date; ok: boolean; status_code: number | null; error: string | null }>(
        "select at, ok, status_code, error from flow_nexus.monitor_checks where monitor_id = $1 order by id desc limit 1",
        [id],
    );
    const seen = last.rows[0];
    const lastCheck = seen
        ? `last check ${formatDuration(Date.now() - seen.at.getTime())} ago: ${seen.ok ? "ok" : `failed (${seen.status_code ?? seen.error})`}`
        : "no check yet";
    const watchdog = rows[0].watchdog;
    if (!watchdog || !watching(dataDir, watchdog.pid, id)) return check("monitor", 4, "down", `the watchdog of ${id} is not running; ${lastCheck}`);
    return check("monitor", 4, "up", `watchdog pid ${watchdog.pid}, every ${o.monitoring?.intervalSeconds ?? "?"}s; ${lastCheck}`);
}

/** The account's balance, refill policy and this month's refill spending, read on one connection. */
export async function readBalance(client: ClientBase, account: string): Promise<BalanceReport> {
    await ensureLedger(client);
    const month = monthOf(new Date());
    const policy = await readPolicy(client, account);
    const report: BalanceReport = {
        account,
        credits: await balanceOf(client, account),
        month,
        spentUsdCents: spentUsdCents(await paymentsIn(client, account, month)),
    };
    if (policy) {
        const { enabled, thresholdCredits, refillUsdCents, monthlyLimitUsdCents, creditsPerSandboxHour } = policy;
        report.policy = { enabled, thresholdCredits, refillUsdCents, monthlyLimitUsdCents, creditsPerSandboxHour };
    }
    return report;
}

export async function billing(client: ClientBase, o: StackOutputs): Promise<ServiceCheck> {
    if (!o.userId || !o.balance) return missing("billing", 5, "balance");
    const { credits, policy, spentUsdCents: spent } = await readBalance(client, o.userId);
    if (!policy) return check("billing", 5, "unhealthy", `${formatCredits(credits)} credits; no auto-refill policy`);
    const refill = policy.enabled ? `auto-refill below ${policy.thresholdCredits}` : "auto-refill disabled";
    const limit = policy.monthlyLimitUsdCents === null ? "no monthly limit" : `${formatUsd(spent)} of ${formatUsd(policy.monthlyLimitUsdCents)} this month`;
    const detail = `${formatCredits(credits)} credits; ${refill}; ${limit}`;
    return check("billing", 5, credits > 0 && policy.enabled ? "up" : "unhealthy", credits > 0 ? detail : `no credits left: ${detail}`);
}

async function sandbox(dataDir: string, o: StackOutputs): Promise<ServiceCheck> {
    if (!o.sandboxId) return missing("sandbox", 2, "sandboxId");
    const info = await readSandbox(dataDir, o.sandboxId);
    if (!info) return check("sandbox", 2, "down", `sandbox ${o.sandboxId} is gone (expired, killed or deleted)`);
    if (info.status === "paused") return check("sandbox", 2, "unhealthy", `sandbox ${o.sandboxId} is paused (its timeout passed)`);
    const left = formatDuration(Date.parse(info.endAt) - Date.now());
    return check("sandbox", 2, "up", `${o.sandboxId} running (${info.template}, ${info.isolation}), ends in ${left}`);
}

async function storage(dataDir: string, o: StackOutputs): Promise<ServiceCheck> {
    const name = o.bucket?.id;
    if (!name) return missing("storage", 2, "bucket");
    const rules = await readRules(bucketDir(dataDir, name));
    if (!rules) return check("storage", 2, "down", `bucket ${name} is gone`);
    return check("storage", 2, "up", `bucket ${name} (${rules.public ? "public" : "private"}, up to ${rules.fileSizeLimit} bytes a file)`);
}

export async function app(o: StackOutputs): Promise<ServiceCheck> {
    const url = o.app?.healthUrl;
    if (!url) return missing("app", 3, "app.healthUrl");
    const result = await probe(url, PROBE_TIMEOUT_MS);
    if (result.statusCode === undefined) return check("app", 3, "down", `GET ${url}: no answer (${result.error ?? "no response"})`);
    if (result.statusCode !== 200) return check("app", 3, "unhealthy", `GET ${url} answered ${result.statusCode}, not 200`);
    return check("app", 3, "up", `GET ${url}: 200 in ${result.latencyMs} ms`);
}

/** The checks that need the database, each "unknown" when it is down, or when a query fails. */
async function databaseChecks(dataDir: string, o: StackOutputs, up: boolean): Promise<ServiceCheck[]> {
    const checks: DatabaseCheck[] = [
        { service: "auth", phase: 1, run: auth },
        { service: "schema", phase: 2, run: schema },
        { service: "realtime", phase: 2, run: (client: ClientBase, outputs: StackOutputs) => realtime(client, outputs, (c) => roundTrip(dataDir, c)) },
        { service: "monitor", phase: 4, run: (client: ClientBase, outputs: StackOutputs) => monitor(dataDir, client, outputs) },
        { service: "billing", phase: 5, run: billing },
    ];
    if (!up) return checks.map((c) => check(c.service, c.phase, "unknown", "cannot check: the database is down"));
    return withDatabase(dataDir, (client) => runChecks(client, o, checks));
}

/** A check that reads the platform database. */
export interface DatabaseCheck {
    service: string;
    phase: number;
    run(client: ClientBase, outputs: StackOutputs): Promise<ServiceCheck>;
}

/** Runs `checks` on one connection, one at a time; a check that throws is "unknown", with why. */
export async function runChecks(client: ClientBase, o: StackOutputs, checks: readonly DatabaseCheck[]): Promise<ServiceCheck[]> {
    const results: ServiceCheck[] = [];
    // One connection, one query at a time: a pg client runs its queries in order anyway.
    for (const c of checks) {
        results.push(await c.run(client, o).catch((err: Error) => check(c.service, c.phase, "unknown", `cannot check: ${err.message}`)));
    }
    return results;
}

/** Every service of a local stack, checked now, in phase order. */
export async function localHealth(dataDir: string, outputs: StackOutputs): Promise<ServiceCheck[]> {
    const db = await database(dataDir);
    const [fromDatabase, box, bucket, web, api] = await Promise.all([
        databaseChecks(dataDir, outputs, db.health === "up"),
        sandbox(dataDir, outputs),
        storage(dataDir, outputs),
        app(outputs),
        gateway(dataDir),
    ]);
    const all = [db, api, ...fromDatabase, box, bucket, web];
    return inServiceOrder(all);
}

const ORDER = ["database", "gateway", "auth", "sandbox", "storage", "schema", "realtime", "app", "monitor", "billing"];

/** The checks in the order status lists services: shared first, then by phase. */
export function inServiceOrder(checks: ServiceCheck[]): ServiceCheck[] {
    return checks.sort((a, b) => ORDER.indexOf(a.service) - ORDER.indexOf(b.service));
}
