/**
 * Links on the local backend: a deployment linked to a schema and a bucket,
 * real app process, real Postgres. What the app's own environment says is
 * read from /proc, and used as the app would use it.
 */
import { strict as assert } from "assert";
import { readFileSync } from "fs";
import { createClient } from "@supabase/supabase-js";
import { Client } from "pg";
import WebSocket from "ws";
import { readDeployment } from "../../providers/deployment/record";
import { Outputs, provider } from "../../providers/deployment/resource";
import { ensureGateway } from "../../providers/runtime/gateway";
import { withDatabase } from "../../providers/runtime/postgres";
import { Outputs as SandboxOutputs, provider as sandboxProvider } from "../../providers/sandbox/resource";
import { provider as schemaProvider } from "../../providers/schema/resource";
import { provider as bucketProvider } from "../../providers/storage/resource";
import { asEngine, removeStackData, tempDataDir, testTags } from "../support";

const { linked } = require("../../runtime") as typeof import("../../runtime");

const deployments = asEngine(provider);
const sandboxes = asEngine(sandboxProvider);
const schemas = asEngine(schemaProvider);
const buckets = asEngine(bucketProvider);

/** The environment of a running process, as the kernel has it. */
function environOf(pid: number): Record<string, string> {
    const text = readFileSync(`/proc/${pid}/environ`, "utf8");
    return Object.fromEntries(text.split("\0").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
}

/** The Postgres error code a query fails with, or "ok". */
async function outcome(client: Client, sql: string): Promise<string> {
    return client.query(sql).then(
        () => "ok",
        (err: { code?: string }) => err.code ?? "error",
    );
}

describe("providers: links (local)", function () {
    this.timeout(120_000);
    let dataDir: string;
    let sandbox: SandboxOutputs;
    let app: Outputs;
    let env: Record<string, string>;
    const made: Array<{ id: string; outs: Record<string, unknown> }> = [];

    async function schema(name: string, sql: string) {
        const { inputs } = await schemas.check({}, { schema: name, migrations: [{ id: "001", sql }], backend: { kind: "local", dataDir }, tags: testTags("DatabaseSchema", name) });
        const created = await schemas.create(inputs);
        made.push(created);
    }

    before(async function () {
        dataDir = await tempDataDir();
        const { inputs } = await sandboxes.check({}, { template: "node", ports: 1, backend: { kind: "local", dataDir }, tags: testTags("Sandbox", "linked") });
        sandbox = (await sandboxes.create(inputs)).outs;
        await schema("notes", "create table notes (id serial primary key, body text not null)");
        await schema("other", "create table secrets (id int primary key, value text)");
        const bucket = await buckets.check({}, { name: "app-files", backend: { kind: "local", dataDir }, tags: testTags("StorageBucket", "app-files") });
        await buckets.create(bucket.inputs);
    });

    after(async function () {
        if (app) await deployments.delete(app.deploymentId, app);
        for (const { id, outs } of made) await schemas.delete(id, { ...outs, forceDestroy: true });
        if (sandbox) await sandboxes.delete(sandbox.sandboxId, sandbox);
        await removeStackData(dataDir);
    });

    it("the app gets FLOW_NEXUS_RESOURCES and a DATABASE_URL of its own role", async function () {
        const links = [
            { type: "DatabaseSchema", name: "notes-db", schema: "notes" },
            { type: "StorageBucket", name: "files", bucket: "app-files", public: false },
        ];
        const { inputs, failures } = await deployments.check({}, {
            sandboxId: sandbox.sandboxId,
            source: { template: "node-http" },
            healthPath: "/health",
            port: sandbox.allocatedPorts[0],
            links,
            backend: { kind: "local", dataDir },
            tags: testTags("Deployment", "linked-app"),
        });
        assert.deepEqual(failures, []);
        app = (await deployments.create(inputs)).outs;
        const record = (await readDeployment(app.appDir))!;
        env = environOf(record.process!.pid);
        assert.deepEqual(JSON.parse(env.FLOW_NEXUS_RESOURCES), {
            "notes-db": { type: "DatabaseSchema", schema: "notes" },
            files: { type: "StorageBucket", bucket: "app-files", public: false },
        });
        assert.equal(linked("StorageBucket", env).bucket, "app-files");
        assert.equal(linked("notes-db", env).type, "DatabaseSchema");
        assert.throws(() => linked("RealtimeSubscription", env), /RealtimeSubscription is not linked to this app \(linked: notes-db \(DatabaseSchema\), files \(StorageBucket\)\)/);
        assert.match(env.DATABASE_URL, new RegExp(`^postgresql://app_${app.deploymentId.replace(/-/g, "_")}:[^@]+@127\\.0\\.0\\.1:\\d+/flownexus$`));
        assert.ok(!JSON.stringify(app).includes(new URL(env.DATABASE_URL).password), "the role's password is not in the state");
        const gateway = await ensureGateway(dataDir);
        assert.equal(env.SUPABASE_URL, gateway.url, "a linked bucket gives the stack's gateway");
        assert.equal(env.SUPABASE_ANON_KEY, gateway.anonKey);
        assert.equal(env.SUPABASE_SERVICE_ROLE_KEY, undefined, "no service-role key unless a link asks for it");
        const shown = await (await fetch(`${app.url}/links`)).json();
        assert.deepEqual(
            shown,
            { resources: JSON.parse(env.FLOW_NEXUS_RESOURCES), databaseUrl: "set", supabaseUrl: gateway.url, supabaseAnonKey: "set", supabaseServiceRoleKey: "not set" },
            "the template app shows what it is linked to, never a secret",
        );
        const stored = readFileSync(`${app.appDir}/deployment.json`, "utf8");
        for (const secret of [new URL(env.DATABASE_URL).password, env.SUPABASE_ANON_KEY]) {
            assert.ok(!stored.includes(secret) && !JSON.stringify(app).includes(secret), "no secret in deployment.json or the state");
        }
    });

    it("with DATABASE_URL the app reads and writes its schema, and nothing else", async function () {
        const client = new Client({ connectionString: env.DATABASE_URL });
        await client.connect();
        try {
            assert.equal(await outcome(client, "insert into notes (body) values ('hello')"), "ok", "its schema is its search_path");
            assert.deepEqual((await client.query("select body from notes")).rows, [{ body: "hello" }]);
            assert.equal(await outcome(client, "update notes set body = 'edited'"), "ok");
            assert.equal(await outcome(client, "select * from flow_nexus.users"), "42501", "no flow_nexus table");
            assert.equal(await outcome(client, "select * from other.secrets"), "42501", "no other schema");
            assert.equal(await outcome(client, "create table notes.mine (id int)"), "42501", "no DDL: migrations own the schema");
            assert.equal(await outcome(client, "create role intruder"), "42501", "not a superuser");
        } finally {
            await client.end();
        }
    });

    it("a link that asks for it gives the service-role key, and the keys work with supabase-js", async function () {
        const { inputs } = await deployments.check(app, { ...app, links: [app.links[0], { ...app.links[1], serviceRole: true }] });
        app = (await deployments.update(app.deploymentId, app, inputs)).outs;
        const linkedEnv = environOf((await readDeployment(app.appDir))!.process!.pid);
        assert.equal(linkedEnv.SUPABASE_SERVICE_ROLE_KEY, (await ensureGateway(dataDir)).serviceRoleKey);
        assert.ok(!JSON.stringify(app).includes(linkedEnv.SUPABASE_SERVICE_ROLE_KEY), "the key is not in the state");
        const service = createClient(linkedEnv.SUPABASE_URL, linkedEnv.SUPABASE_SERVICE_ROLE_KEY, { auth: { persistSession: false }, realtime: { transport: WebSocket as never } });
        const { data, error } = await service.storage.getBucket("app-files");
        assert.equal(error, null);
        assert.equal(data?.public, false);
    });

    it("a linked sandbox: code run in it gets the same environment, and its role goes with it", async function () {
        const links = [
            { type: "DatabaseSchema", name: "notes-db", schema: "notes" },
            { type: "StorageBucket", name: "files", bucket: "app-files", public: false },
        ];
        const { inputs, failures } = await sandboxes.check({}, {
            template: "node",
            links,
            // What code run there by hand sees: its environment, and the database through DATABASE_URL.
            startupScript: 'env | grep -E "^(DATABASE_URL|SUPABASE_URL|SUPABASE_ANON_KEY|FLOW_NEXUS_RESOURCES)=" | sort > linked.env',
            backend: { kind: "local", dataDir },
            tags: testTags("Sandbox", "linked-by-hand"),
        });
        assert.deepEqual(failures, []);
        const box = (await sandboxes.create(inputs)).outs as SandboxOutputs;
        try {
            const seen = Object.fromEntries(
                readFileSync(`${box.workDir}/linked.env`, "utf8").trim().split("\n").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
            );
            assert.deepEqual(Object.keys(seen), ["DATABASE_URL", "FLOW_NEXUS_RESOURCES", "SUPABASE_ANON_KEY", "SUPABASE_URL"]);
            assert.equal(seen.SUPABASE_URL, (await ensureGateway(dataDir)).url);
            const client = new Client({ connectionString: seen.DATABASE_URL });
            await client.connect();
            try {
                assert.equal(await outcome(client, "select count(*) from notes"), "ok");
                assert.equal(await outcome(client, "select * from other.secrets"), "42501");
            } finally {
                await client.end();
            }
            assert.ok(!JSON.stringify(box).includes(new URL(seen.DATABASE_URL).password), "no password in the state");
        } finally {
            await sandboxes.delete(box.sandboxId, box);
        }
        const { rowCount } = await withDatabase(dataDir, (c) => c.query("select 1 from pg_roles where rolname = $1", [`app_${box.sandboxId.replace(/-/g, "_")}`]));
        assert.equal(rowCount, 0, "the sandbox's role is dropped with it");
    });

    it("delete drops the role", async function () {
        const role = `app_${app.deploymentId.replace(/-/g, "_")}`;
        await deployments.delete(app.deploymentId, app);
        app = undefined as never;
        const { rowCount } = await withDatabase(dataDir, (c) => c.query("select 1 from pg_roles where rolname = $1", [role]));
        assert.equal(rowCount, 0);
    });
});
