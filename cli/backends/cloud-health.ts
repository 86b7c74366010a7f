/**
 * Live health of a cloud stack's services, from the vendors themselves: the
 * project database at flow-nexus:databaseUrl (schema, realtime publication,
 * ledger, as locally), Supabase Auth's user and Storage's bucket, the E2B
 * sandbox's state, the monitor's watchdog inside it, a realtime round trip
 * through Supabase Realtime, the app's health endpoint through its E2B host,
 * and the Stripe customer with a payment method a refill can charge. Nothing
 * is started or changed; a paused sandbox is reported, not resumed.
 */
import type { ClientBase } from "pg";
import { paymentSetup } from "../../providers/billing/stripe";
import { livePid } from "../../providers/monitor/e2b";
import { supabaseClient } from "../../providers/runtime/clients";
import { requireCredential } from "../../providers/runtime/credentials";
import { connectLive, sandboxInfo } from "../../providers/runtime/e2b";
import { withDatabase } from "../../providers/runtime/postgres";
import { formatDuration } from "../output";
import type { StackOutputs } from "../outputs";
import { app, billing, check, DatabaseCheck, inServiceOrder, missing, realtime, roundTripAt, runChecks, schema } from "./local-health";
import type { ServiceCheck } from "./types";

/** The project database at flow-nexus:databaseUrl, as the providers reach it. */
export const CLOUD = { kind: "cloud" as const };

const why = (err: unknown) => (err as Error).message.split("\n")[0];

async function database(): Promise<ServiceCheck> {
    const host = new URL(requireCredential("databaseUrl")).host;
    try {
        await withDatabase(CLOUD, (client) => client.query("select 1"));
        return check("database", undefined, "up", `Postgres at ${host} (flow-nexus:databaseUrl)`);
    } catch (err) {
        return check("database", undefined, "down", `Postgres at ${host}: ${why(err)}`);
    }
}

async function auth(o: StackOutputs): Promise<ServiceCheck> {
    if (!o.userId) return missing("auth", 1, "userId");
    const { data, error } = await (await supabaseClient()).auth.admin.getUserById(o.userId);
    if (error) return check("auth", 1, /not found/i.test(error.message) ? "down" : "unknown", `Supabase Auth: ${error.message}`);
    return check("auth", 1, "up", `user ${data.user.email} in Supabase Auth`);
}

async function storage(o: StackOutputs): Promise<ServiceCheck> {
    const name = o.bucket?.id;
    if (!name) return missing("storage", 2, "bucket");
    const { data, error } = await (await supabaseClient()).storage.getBucket(name);
    if (error) return check("storage", 2, /not found/i.test(error.message) ? "down" : "unknown", `bucket ${name}: ${error.message}`);
    return check("storage", 2, "up", `bucket ${name} in Supabase Storage (${data.public ? "public" : "private"}, up to ${data.file_size_limit ?? "the project's limit of"} bytes a file)`);
}

async function sandbox(o: StackOutputs): Promise<ServiceCheck> {
    if (!o.sandboxId) return missing("sandbox", 2, "sandboxId");
    const info = await sandboxInfo(o.sandboxId);
    if (!info) return check("sandbox", 2, "down", `E2B sandbox ${o.sandboxId} is gone (expired, killed or deleted)`);
    if (info.state === "paused") return check("sandbox", 2, "unhealthy", `E2B sandbox ${o.sandboxId} is paused (its timeout passed)`);
    return check("sandbox", 2, "up", `E2B sandbox ${o.sandboxId} running (${info.templateId}), ends in ${formatDuration(info.endAt.getTime() - Date.now())}`);
}

/** The monitor's watchdog runs in the app's sandbox: its pid file names a live process there. */
async function monitor(o: StackOutputs): Promise<ServiceCheck> {
    const id = o.monitoring?.monitorId;
    if (!id) return missing("monitor", 4, "monitoring.monitorId");
    if (!o.sandboxId) return missing("monitor", 4, "sandboxId");
    const info = await sandboxInfo(o.sandboxId);
    if (!info || info.state === "paused") return check("monitor", 4, "down", `the watchdog of ${id} cannot run: sandbox ${o.sandboxId} is ${info ? "paused" : "gone"}`);
    const pid = await livePid(await connectLive(o.sandboxId), id);
    if (!pid) return check("monitor", 4, "down", `the watchdog of ${id} is not running in sandbox ${o.sandboxId}; the next pulumi up starts it`);
    return check("monitor", 4, "up", `watchdog pid ${pid} in sandbox ${o.sandboxId}, every ${o.monitoring?.intervalSeconds ?? "?"}s`);
}

/** The ledger (as locally), and Stripe: the account's customer with a payment method a refill can charge. */
async function payments(client: ClientBase, o: StackOutputs): Promise<ServiceCheck> {
    const ledger = await billing(client, o);
    if (!o.userId || ledger.health !== "up") return ledger;
    const setup = await paymentSetup(CLOUD, o.userId);
    if (!setup.customerId) return check("billing", 5, "unhealthy", `${ledger.detail}; no Stripe customer for the account`);
    if (!setup.paymentMethodReady) return check("billing", 5, "unhealthy", `${ledger.detail}; Stripe customer ${setup.customerId} has no saved payment method, so refills fail`);
    return check("billing", 5, "up", `${ledger.detail}; Stripe customer ${setup.customerId} with a payment method`);
}

/** Realtime proved by a round trip through Supabase Realtime, with the service-role key. */
const roundTrip = (client: ClientBase) => roundTripAt(requireCredential("supabaseUrl"), requireCredential("supabaseServiceRoleKey"), client);

/** A check that cannot run is "unknown", with why; never a thrown error. */
function guarded(service: string, phase: number, run: () => Promise<ServiceCheck>): Promise<ServiceCheck> {
    return run().catch((err) => check(service, phase, "unknown", `cannot check: ${why(err)}`));
}

/** Every service of a cloud stack, checked now, in phase order. */
export async function cloudHealth(o: StackOutputs): Promise<ServiceCheck[]> {
    const db = await database();
    const checks: DatabaseCheck[] = [
        { service: "schema", phase: 2, run: schema },
        { service: "realtime", phase: 2, run: (client, outputs) => realtime(client, outputs, roundTrip) },
        { service: "billing", phase: 5, run: payments },
    ];
    const fromDatabase =
        db.health === "up"
            ? withDatabase(CLOUD, (client) => runChecks(client, o, checks))
            : Promise.resolve(checks.map((c) => check(c.service, c.phase, "unknown", "cannot check: the database is down")));
    const all = await Promise.all([
        fromDatabase,
        guarded("auth", 1, () => auth(o)),
        guarded("sandbox", 2, () => sandbox(o)),
        guarded("storage", 2, () => storage(o)),
        guarded("app", 3, () => app(o)),
        guarded("monitor", 4, () => monitor(o)),
    ]);
    return inServiceOrder([db, ...all.flat()]);
}
