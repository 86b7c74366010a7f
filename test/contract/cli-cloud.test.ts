/**
 * Contract: the CLI's cloud backend (cli/backends/cloud) on a stack whose
 * services are all `cloud`: E2B, Supabase Auth and Storage, and Stripe
 * answered by the fakes; the project database a real PostgreSQL; Supabase
 * Realtime the gateway over it (it speaks Realtime's protocol); the app a
 * real HTTP server. What the platform wrote is laid out as the providers
 * write it (the deployment record, the watchdog's files in the sandbox, the
 * ledger, the audit log), and each command's backend call reads it back.
 */
import { strict as assert } from "assert";
import { promises as fs } from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import { cloudBackend, StackConfig } from "../../cli/backends/cloud";
import { removeCloudObject, scanCloud } from "../../cli/cleanup/cloud";
import { classify, RESOURCE_TYPE } from "../../cli/cleanup/orphans";
import { summarize } from "../../cli/health";
import type { StackOutputs } from "../../cli/outputs";
import { credit, debit, ensureLedger } from "../../providers/billing/ledger";
import { writePolicy } from "../../providers/billing/policy";
import { ensureCustomer } from "../../providers/billing/stripe";
import { recordPath } from "../../providers/deployment/api";
import { monitorDir } from "../../providers/monitor/e2b";
import { audited } from "../../providers/runtime/audit";
import { setTransport } from "../../providers/runtime/clients";
import { CREDENTIALS, setCredentials } from "../../providers/runtime/credentials";
import { ensureGateway } from "../../providers/runtime/gateway";
import { withDatabase } from "../../providers/runtime/postgres";
import { ensureProbe } from "../../providers/runtime/realtime-probe";
import { joinPublication } from "../../providers/runtime/publication";
import { rejection, tempDataDir } from "../support";
import { FakeE2B } from "./fake-e2b";
import { FakeStripe } from "./fake-stripe";
import { FakeSupabase } from "./fake-supabase";
import { CLOUD, cloudDatabase, FAKE_CREDENTIALS, restoreTransport, tagsOf } from "./support";

describe("contract: the flow-nexus CLI on a stack whose backends are all cloud", function () {
    this.timeout(60_000);
    const e2b = new FakeE2B();
    const supabase = new FakeSupabase();
    const stripe = new FakeStripe();
    let db: Awaited<ReturnType<typeof cloudDatabase>>;
    let dataDir: string;
    let app: http.Server;
    let config: StackConfig;
    let configReads = 0;
    let outputs: StackOutputs;
    const account = "3f0c2a6e-5d0b-4a57-9d1e-0c1d2e3f4a5b";
    const monitorId = "mon-0123456789ab";
    const deploymentId = "dep-0123456789ab";

    const backend = () =>
        cloudBackend(dataDir, "cloudy", async () => {
            configReads++;
            return config;
        });

    before(async function () {
        db = await cloudDatabase();
        dataDir = await tempDataDir();
        const realtime = await ensureGateway(db.dataDir);
        // Storage and Auth to the Supabase fake, the Stripe API to its fake; Realtime (a WebSocket) reaches the gateway.
        const routed: typeof fetch = (input, init) => {
            const url = new URL(input instanceof Request ? input.url : String(input));
            if (/^\/(storage|auth)\/v1\//.test(url.pathname)) return supabase.http.fetch(input, init);
            if (url.pathname.startsWith("/v1/")) return stripe.http.fetch(input, init);
            return fetch(input, init);
        };
        setTransport({ e2b: await e2b.listen(), fetch: routed });
        const values = { ...FAKE_CREDENTIALS, databaseUrl: db.url, supabaseUrl: realtime.url, supabaseServiceRoleKey: realtime.serviceRoleKey };
        config = Object.fromEntries(Object.entries(values).map(([name, value]) => [CREDENTIALS[name as keyof typeof CREDENTIALS].key, { value, secret: true }]));
        setCredentials(values);

        app = http.createServer((req, res) => res.writeHead(req.url === "/health" ? 200 : 404).end("ok")).listen(0, "127.0.0.1");
        await new Promise((resolve) => app.once("listening", resolve));
        const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;

        // What the providers made: a sandbox with the app's record and log and the watchdog's files.
        const sandbox = e2b.add({ metadata: {} });
        sandbox.running.add(4242);
        const logFile = `/home/user/.flow-nexus/logs/app-${deploymentId}.log`;
        sandbox.files.set(recordPath(deploymentId), Buffer.from(JSON.stringify({ deploymentId, logFile, pid: 4243 })));
        sandbox.files.set(logFile, Buffer.from("listening on 8080\nGET /health 200\n"));
        const dir = monitorDir(monitorId);
        const now = Date.now();
        sandbox.files.set(`${dir}/watchdog.pid`, Buffer.from("4242"));
        sandbox.files.set(`${dir}/watchdog.log`, Buffer.from("watching\napp: 2 failures in a row; restarting\n"));
        const checkLine = (minutesAgo: number, ok: boolean) =>
            JSON.stringify({ target: "app", at: new Date(now - minutesAgo * 60_000).toISOString(), ok, statusCode: ok ? 200 : null, latencyMs: 12, error: ok ? null : "ECONNREFUSED" });
        sandbox.files.set(`${dir}/checks.jsonl`, Buffer.from([checkLine(90, true), checkLine(2, false), checkLine(1, true), '{"cut short'].join("\n")));
        sandbox.files.set(
            `${dir}/alerts.jsonl`,
            Buffer.from(`${JSON.stringify({ monitorId, target: "app", url: `${appUrl}/health`, failures: 2, restarted: true, at: new Date(now - 60_000).toISOString(), message: "app failed 2 checks; restarted", deliveries: [] })}\n`),
        );
        supabase.users.set(account, { id: account, email: "cloud@flow-nexus.test", user_metadata: {}, created_at: new Date().toISOString(), password: "x" });
        supabase.buckets.set("assets", { id: "assets", name: "assets", public: false, file_size_limit: 1024, allowed_mime_types: null, objects: [] });

        // The project database: a schema with its migrations, a subscription, the ledger with a policy, a Stripe customer with a card, the audit log.
        await withDatabase(CLOUD, async (client) => {
            await client.query("create schema app; create table app.notes (id serial primary key, body text)");
            await client.query(`create table if not exists flow_nexus.schema_migrations (schema text, id text, checksum text, applied_at timestamptz default now())`);
            await client.query("insert into flow_nexus.schema_migrations (schema, id, checksum) values ('app', '001_notes', 'x')");
            await ensureProbe(client);
            await client.query(joinPublication("app.notes"));
            await client.query(`create table if not exists flow_nexus.realtime_subscriptions (id text primary key, table_name text not null, events text[] not null, filter text, urn text not null)`);
            await client.query("insert into flow_nexus.realtime_subscriptions values ('sub-cloud', 'app.notes', '{*}', null, 'urn')");
            await ensureLedger(client);
            await writePolicy(client, { account, enabled: true, thresholdCredits: 50, refillUsdCents: 1000, monthlyLimitUsdCents: 5000, creditsPerSandboxHour: 1, urn: "urn:refill" });
        });
        await credit(CLOUD, account, 100, "auto-refill:initial-credits");
        const customer = await ensureCustomer(CLOUD, account, tagsOf("AutoRefill", "refill"));
        stripe.saveCard(customer.id);
        await audited(CLOUD, tagsOf("Sandbox", "sandbox"), { type: "Sandbox", action: "create", changed: ["template"] }, async () => undefined, "sbx");

        outputs = {
            userId: account,
            platformSettings: { backends: { auth: "cloud", database: "cloud", sandbox: "cloud", storage: "cloud", payments: "cloud" } },
            sandboxId: sandbox.sandboxID,
            subscriptionId: "sub-cloud",
            schema: { name: "app", version: "001_notes", applied: ["001_notes"] },
            bucket: { id: "assets" },
            deploymentId,
            app: { url: appUrl, healthUrl: `${appUrl}/health` },
            monitoring: { monitorId, intervalSeconds: 30 },
            balance: { credits: 100 },
            phase1Complete: true,
            phase2Complete: true,
            phase3Complete: true,
            phase4Complete: true,
            phase5Complete: true,
        };
        setCredentials({});
    });

    after(async function () {
        restoreTransport();
        setCredentials({});
        app?.close();
        await e2b.close();
        await db?.stop();
        if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
    });

    it("status: every service checked at its vendor, all five phases healthy, with the credentials read from the stack's config once", async function () {
        const cloud = backend();
        const services = await cloud.health(outputs);
        assert.deepEqual(
            services.map((s) => [s.service, s.health]),
            [
                ["database", "up"],
                ["auth", "up"],
                ["sandbox", "up"],
                ["storage", "up"],
                ["schema", "up"],
                ["realtime", "up"],
                ["app", "up"],
                ["monitor", "up"],
                ["billing", "up"],
            ],
            JSON.stringify(services, null, 2),
        );
        const detail = Object.fromEntries(services.map((s) => [s.service, s.detail]));
        assert.match(detail.auth, /^user cloud@flow-nexus\.test in Supabase Auth$/);
        assert.match(detail.sandbox, new RegExp(`^E2B sandbox ${outputs.sandboxId} running \\(node\\), ends in `));
        assert.match(detail.monitor, /^watchdog pid 4242 in sandbox /);
        assert.match(detail.realtime, /a change round trip in \d+ ms/);
        assert.match(detail.billing, /^100 credits; auto-refill below 50; \$0\.00 of \$50\.00 this month; Stripe customer cus_\w+ with a payment method$/);
        assert.doesNotMatch(JSON.stringify(services), new RegExp(new URL(db.url).password), "no password in what status prints");
        assert.equal(summarize("cloudy", outputs, services).healthy, true);
        await cloud.health(outputs);
        assert.equal(configReads, 1, "the config is read once per run");
    });

    it("status: a killed watchdog, a paused sandbox and a gone bucket show as down or unhealthy", async function () {
        const sandbox = e2b.sandboxes.get(outputs.sandboxId!)!;
        sandbox.running.delete(4242);
        supabase.buckets.delete("assets");
        try {
            const byService = Object.fromEntries((await backend().health(outputs)).map((s) => [s.service, s]));
            assert.equal(byService.monitor.health, "down");
            assert.match(byService.monitor.detail, /is not running in sandbox/);
            assert.equal(byService.storage.health, "down");
            sandbox.state = "paused";
            const paused = Object.fromEntries((await backend().health(outputs)).map((s) => [s.service, s]));
            assert.equal(paused.sandbox.health, "unhealthy");
            assert.match(paused.sandbox.detail, /is paused/);
        } finally {
            sandbox.state = "running";
            sandbox.running.add(4242);
            supabase.buckets.set("assets", { id: "assets", name: "assets", public: false, file_size_limit: 1024, allowed_mime_types: null, objects: [] });
        }
    });

    it("logs: the app's and the watchdog's logs come from the sandbox, and a refresh brings new lines", async function () {
        const sources = await backend().logSources(outputs);
        assert.deepEqual(sources.map((s) => s.name), ["app", "watchdog"]);
        // Each reader (logs, the dashboard) fetches a copy before it reads, as LogSource.refresh says.
        for (const source of sources) await source.refresh!();
        assert.equal(await fs.readFile(sources[0].file, "utf8"), "listening on 8080\nGET /health 200\n");
        const sandbox = e2b.sandboxes.get(outputs.sandboxId!)!;
        const logFile = `/home/user/.flow-nexus/logs/app-${deploymentId}.log`;
        sandbox.files.set(logFile, Buffer.concat([sandbox.files.get(logFile)!, Buffer.from("GET /notes 200\n")]));
        await sources[0].refresh!();
        assert.match(await fs.readFile(sources[0].file, "utf8"), /GET \/notes 200\n$/);
        assert.match(await fs.readFile(sources[1].file, "utf8"), /restarting/);
    });

    it("logs: a gone deployment says to redeploy (exit 4)", async function () {
        const err = await rejection(() => backend().logSources({ ...outputs, deploymentId: "dep-gone" }));
        assert.match(err.message, /^deployment dep-gone is not in sandbox sbx\d+: run pulumi refresh, then pulumi up to redeploy$/);
        assert.equal((err as { code?: number }).code, 4);
    });

    it("dashboard: the monitor's checks of the window and its alerts, from the watchdog's files in the sandbox", async function () {
        const history = await backend().monitorHistory(outputs, new Date(Date.now() - 60 * 60_000));
        assert.deepEqual(history.checks.map((c) => c.ok), [false, true], "the window's checks; the cut-short line is skipped");
        assert.deepEqual(history.alerts.map((a) => [a.target, a.restarted]), [["app", true]]);
    });

    it("audit and billing: the audit log, balance, history with Stripe's payments, usage, refill and credit from the project database", async function () {
        const cloud = backend();
        assert.deepEqual((await cloud.auditLog()).map((r) => [r.type, r.action]), [["Sandbox", "create"]]);
        const balance = await cloud.balance(account);
        assert.deepEqual([balance.credits, balance.policy?.thresholdCredits, balance.spentUsdCents], [100, 50, 0]);
        await debit(CLOUD, account, 60, "test:spend");
        const refill = await cloud.refill(account, { retryFailed: false });
        assert.equal(refill.charged, true, JSON.stringify(refill));
        assert.equal(stripe.calls("POST", /^\/v1\/payment_intents$/).length, 1, "charged once, through Stripe");
        const history = await cloud.history(account, 10);
        assert.ok(history.some((h) => h.record === "payment" && h.status === "succeeded" && h.usdCents === 1000), JSON.stringify(history));
        assert.equal((await cloud.usage(account)).credits, 60);
        assert.equal(await cloud.credit(account, 5, "test:gift"), true);
        assert.equal(await cloud.credit(account, 5, "test:gift"), false, "the same reference adds once");
        assert.equal((await cloud.balance(account)).credits, 145);
    });

    it("realtime tail: a change arrives through Supabase Realtime, on the subscription's table", async function () {
        const seen: string[] = [];
        const tail = await backend().tailChanges("sub-cloud", (event) => seen.push(`${event.type} ${event.table} ${String(event.new.body)}`));
        try {
            await withDatabase(CLOUD, (c) => c.query("insert into app.notes (body) values ('from the cloud')"));
            for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
            assert.deepEqual(seen, ["INSERT app.notes from the cloud"]);
        } finally {
            await tail.stop();
        }
    });

    it("cleanup: the stack's E2B sandboxes and Supabase buckets it no longer has are removed; one holding objects is kept", async function () {
        const urn = (name: string) => `urn:pulumi:cloudy::flow-nexus::pulumi-nodejs:dynamic/flownexus:Sandbox::${name}`;
        const kept = e2b.add({ metadata: { "flow-nexus:stack": "cloudy", "flow-nexus:urn": urn("sandbox") } });
        const orphan = e2b.add({ metadata: { "flow-nexus:stack": "cloudy", "flow-nexus:urn": urn("sandbox") } });
        const elsewhere = e2b.add({ metadata: { "flow-nexus:stack": "another", "flow-nexus:urn": urn("sandbox") } });
        const bucketUrn = "urn:pulumi:cloudy::flow-nexus::pulumi-nodejs:dynamic/flownexus:StorageBucket::storage";
        await withDatabase(CLOUD, async (client) => {
            await client.query("create table if not exists flow_nexus.storage_buckets (name text primary key, stack text not null, urn text not null, created_at timestamptz not null default now())");
            await client.query("insert into flow_nexus.storage_buckets (name, stack, urn) values ('left-empty', 'cloudy', $1), ('left-full', 'cloudy', $1)", [bucketUrn]);
        });
        supabase.buckets.set("left-empty", { id: "left-empty", name: "left-empty", public: false, file_size_limit: null, allowed_mime_types: null, objects: [] });
        supabase.buckets.set("left-full", { id: "left-full", name: "left-full", public: false, file_size_limit: null, allowed_mime_types: null, objects: ["keep.txt"] });
        setCredentials(Object.fromEntries(Object.entries(config).map(([key, { value }]) => [Object.entries(CREDENTIALS).find(([, spec]) => spec.key === key)![0], value])));

        const state = { resources: [{ urn: urn("sandbox"), type: RESOURCE_TYPE.sandbox, id: kept.sandboxID }], pending: [] };
        const verdicts = classify(await scanCloud("cloudy"), state);
        const byId = Object.fromEntries(verdicts.map((v) => [v.object.id, v.status]));
        assert.equal(byId[kept.sandboxID], "managed");
        assert.equal(byId[orphan.sandboxID], "orphan");
        assert.equal(byId[elsewhere.sandboxID], undefined, "another stack's sandbox is not this stack's to judge");
        assert.deepEqual([byId["left-empty"], byId["left-full"]], ["orphan", "orphan"]);
        const removals = Object.fromEntries(
            await Promise.all(verdicts.filter((v) => v.status === "orphan").map(async (v) => [v.object.id, await removeCloudObject(v.object, { force: false })] as const)),
        );
        assert.deepEqual(removals[orphan.sandboxID], { removed: true });
        assert.equal(e2b.sandboxes.has(orphan.sandboxID), false, "killed");
        assert.equal(e2b.sandboxes.has(kept.sandboxID), true);
        assert.deepEqual(removals["left-empty"], { removed: true });
        assert.equal(supabase.buckets.has("left-empty"), false);
        assert.match((removals["left-full"] as { reason: string }).reason, /holds objects: kept \(pass --force/);
        assert.equal(supabase.buckets.has("left-full"), true, "no data lost that nobody asked to lose");
        const claims = (await withDatabase(CLOUD, (c) => c.query("select name from flow_nexus.storage_buckets where stack = 'cloudy' order by name"))).rows;
        assert.deepEqual(claims, [{ name: "left-full" }], "a removed bucket's record goes with it");
        setCredentials({});
    });

    it("a stack whose config lacks a credential says which key to set, in one line", async function () {
        const without = { ...config };
        delete without["flow-nexus:e2bApiKey"];
        const cloud = cloudBackend(dataDir, "cloudy", async () => without);
        const err = await rejection(() => cloud.logSources(outputs));
        assert.match(err.message, /flow-nexus:e2bApiKey/);
        assert.doesNotMatch(err.message, /\n/);
    });
});
