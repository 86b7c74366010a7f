/**
 * Credentials stay out of state: they reach the providers only through
 * `configure`, never become inputs or outputs (nor audit rows), never take
 * part in `diff` (rotating one replaces nothing), are not captured by the
 * provider Pulumi serializes into state, and are scrubbed from errors.
 * Canary values make any leak findable.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { provider as deploymentProvider } from "../../providers/deployment/resource";
import { provider as monitorProvider } from "../../providers/monitor/resource";
import { provider as realtimeProvider } from "../../providers/realtime/resource";
import { readAuditLog } from "../../providers/runtime/audit";
import { setTransport } from "../../providers/runtime/clients";
import { CREDENTIALS, CredentialName, requireCredential, scrubError, setCredentials } from "../../providers/runtime/credentials";
import { PROVIDER } from "../../providers/runtime/resource";
import { provider as sandboxProvider } from "../../providers/sandbox/resource";
import { provider as schemaProvider } from "../../providers/schema/resource";
import { Inputs as BucketInputs, Outputs as BucketOutputs, provider as bucketProvider } from "../../providers/storage/resource";
import { provider as userProvider } from "../../providers/user/resource";
import { provider as refillProvider } from "../../providers/billing/resource";
import { rejection } from "../support";
import { json } from "./fake-http";
import { FakeSupabase } from "./fake-supabase";
import { checked, CLOUD, cloudDatabase, engine, restoreTransport, stackConfig, tagsOf } from "./support";

/** Recognisable values; the database URL's password is URL-encoded in the URL, so both forms are looked for. */
const CANARY = {
    e2bApiKey: "e2b_CANARY0e2b0key0aaaaaaaaaaaaaaaa",
    supabaseUrl: "https://canary-project.supabase.test",
    supabaseServiceRoleKey: "CANARY-service-role-key-bbbbbbbbbbbbbbbb",
    stripeSecretKey: "sk_test_CANARY0stripe0cccccccccccccccc",
};
const ROTATED = { ...CANARY, supabaseServiceRoleKey: "CANARY-rotated-role-key-dddddddddddddddd" };

describe("contract: credentials stay out of state", function () {
    this.timeout(60_000);
    const buckets = engine<BucketInputs, BucketOutputs>(bucketProvider);
    const supabase = new FakeSupabase();
    let db: Awaited<ReturnType<typeof cloudDatabase>>;
    let secrets: string[];

    /** Every secret value in play (the database password raw and encoded). */
    const leaks = (text: string) => secrets.filter((s) => text.includes(s));

    before(async function () {
        db = await cloudDatabase();
        const password = new URL(db.url).password;
        secrets = [CANARY.e2bApiKey, CANARY.supabaseServiceRoleKey, CANARY.stripeSecretKey, ROTATED.supabaseServiceRoleKey, db.url, password, decodeURIComponent(password)];
        setTransport({ fetch: supabase.http.fetch });
        await buckets.configure(stackConfig({ ...CANARY, databaseUrl: db.url }));
    });

    after(async function () {
        restoreTransport();
        setCredentials({});
        await db?.stop();
    });

    it("configure + check + create + read + update put no credential into inputs, outputs or the audit log", async function () {
        const inputs = await checked(buckets, { name: "canary-assets", backend: CLOUD, tags: tagsOf("StorageBucket", "canary") } as BucketInputs);
        const created = await buckets.create(inputs);
        const read = await buckets.read(created.id, created.outs!);
        const updated = await buckets.update(created.id, created.outs!, { ...inputs, public: true });
        const state = JSON.stringify({ inputs, created, read, updated });
        assert.deepEqual(leaks(state), []);
        assert.deepEqual(leaks(JSON.stringify(await readAuditLog(CLOUD))), []);
        // The key went where it belongs: the request to Supabase.
        assert.equal(supabase.http.requests[0].headers.get("apikey"), CANARY.supabaseServiceRoleKey);
    });

    it("rotating a credential changes no input, so diff sees no change and replaces nothing", async function () {
        const inputs = await checked(buckets, { name: "rotation", backend: CLOUD, tags: tagsOf("StorageBucket", "rotation") } as BucketInputs);
        const { id, outs } = await buckets.create(inputs);
        await buckets.configure(stackConfig({ ...ROTATED, databaseUrl: db.url }));
        try {
            const again = await checked(buckets, { name: "rotation", backend: CLOUD, tags: inputs.tags } as BucketInputs);
            const diff = await buckets.diff(id, outs!, again);
            assert.deepEqual([diff.changes, diff.replaces], [false, []]);
            await buckets.read(id, outs!);
            assert.equal(supabase.http.requests.at(-1)!.headers.get("apikey"), ROTATED.supabaseServiceRoleKey, "the rotated key is used at once");
        } finally {
            await buckets.configure(stackConfig({ ...CANARY, databaseUrl: db.url }));
        }
    });

    it("the provider every resource stores in state is one line that captures nothing, credentials least", async function () {
        assert.deepEqual(leaks(PROVIDER), []);
        assert.match(PROVIDER, /^exports\.handler = \(\) => require\(require\("path"\)\.resolve\("[^"]*providers\/runtime\/serve\.js"\)\);\n$/);
    });

    it("errors are scrubbed: a service that quotes the key it refused, a partial create that keeps its id", async function () {
        supabase.http.once("POST", /^\/storage\/v1\/bucket$/, () => json(401, { statusCode: "401", error: "Unauthorized", message: `bad key ${CANARY.supabaseServiceRoleKey}` }));
        const inputs = await checked(buckets, { name: "echoed-key", backend: CLOUD, tags: tagsOf("StorageBucket", "echo") } as BucketInputs);
        const err = await rejection(() => buckets.create(inputs));
        assert.match(err.message, /bad key \[secret\]/);
        assert.deepEqual(leaks(`${err.message}\n${err.stack}\n${String((err as { cause?: Error }).cause?.message)}`), []);

        const partial = Object.assign(new Error(`failed with ${CANARY.e2bApiKey} and ${db.url}`), { id: "sbx-1", properties: { a: 1 } });
        const scrubbed = scrubError(partial);
        assert.equal(scrubbed, partial, "the same error: the host reads its id and properties");
        assert.deepEqual([scrubbed.id, scrubbed.message], ["sbx-1", "failed with [secret] and [secret]"]);
    });

    it("every cloud resource's check names the missing config keys at preview, with the command that sets them", async function () {
        const providers: Array<[string, pulumi.dynamic.ResourceProvider, CredentialName[]]> = [
            ["Sandbox", sandboxProvider, ["e2bApiKey", "databaseUrl"]],
            ["Deployment", deploymentProvider, ["e2bApiKey", "databaseUrl"]],
            ["Monitor", monitorProvider, ["e2bApiKey", "databaseUrl"]],
            ["StorageBucket", bucketProvider, ["supabaseUrl", "supabaseServiceRoleKey", "databaseUrl"]],
            ["PlatformUser", userProvider, ["supabaseUrl", "supabaseServiceRoleKey", "databaseUrl"]],
            ["DatabaseSchema", schemaProvider, ["databaseUrl"]],
            ["RealtimeSubscription", realtimeProvider, ["supabaseUrl", "supabaseServiceRoleKey", "databaseUrl"]],
            ["AutoRefill", refillProvider, ["stripeSecretKey", "databaseUrl"]],
        ];
        setCredentials({});
        try {
            for (const [type, provider, needs] of providers) {
                const { failures } = await engine(provider).check({}, { backend: CLOUD, tags: tagsOf(type, "preview") } as never);
                const backend = failures!.filter((f) => f.property === "backend").map((f) => f.reason);
                assert.equal(backend.length, 1, type);
                assert.ok(backend[0].startsWith(`backend cloud needs ${needs.map((n) => CREDENTIALS[n].key).join(", ")} in stack config`), `${type}: ${backend[0]}`);
                for (const name of needs.filter((n) => CREDENTIALS[n].secret)) assert.ok(backend[0].includes(`pulumi config set --secret ${CREDENTIALS[name].key}`), type);
            }
            assert.throws(() => requireCredential("stripeSecretKey"), /stack config has no flow-nexus:stripeSecretKey: set it with `pulumi config set --secret flow-nexus:stripeSecretKey 'sk_live_\.\.\.'`/);
        } finally {
            await buckets.configure(stackConfig({ ...CANARY, databaseUrl: db.url }));
        }
    });
});
