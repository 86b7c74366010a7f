/**
 * Live acceptance: StorageBucket and PlatformUser on the real Supabase admin
 * APIs, and DatabaseSchema and RealtimeSubscription on the project's
 * Postgres, through the providers as the engine drives them. Runs only with
 * SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY and DATABASE_URL set. Everything
 * it creates has a unique name and is deleted at the end.
 */
import { strict as assert } from "assert";
import { Inputs as RealtimeInputs, Outputs as RealtimeOutputs, provider as realtimeProvider } from "../../providers/realtime/resource";
import { Inputs as SchemaInputs, Outputs as SchemaOutputs, provider as schemaProvider } from "../../providers/schema/resource";
import { Inputs as BucketInputs, Outputs as BucketOutputs, provider as bucketProvider } from "../../providers/storage/resource";
import { Inputs as UserInputs, Outputs as UserOutputs, provider as userProvider } from "../../providers/user/resource";
import { checked, CLOUD, engine, stackConfig, tagsOf } from "../contract/support";
import { forgetCredentials, requireEnv, uniqueName } from "./support";

describe("live: Supabase", function () {
    this.timeout(5 * 60_000);
    const buckets = engine<BucketInputs, BucketOutputs>(bucketProvider);
    const users = engine<UserInputs, UserOutputs>(userProvider);
    const schemas = engine<SchemaInputs, SchemaOutputs>(schemaProvider);
    const subscriptions = engine<RealtimeInputs, RealtimeOutputs>(realtimeProvider);
    const run = uniqueName("live");
    const cleanup: Array<() => Promise<void>> = [];

    before(async function () {
        const env = requireEnv(this, "Supabase", ["SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY", "DATABASE_URL"]);
        await buckets.configure(stackConfig({ supabaseUrl: env.SUPABASE_URL, supabaseServiceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY, databaseUrl: env.DATABASE_URL }));
    });

    after(async function () {
        for (const undo of cleanup.reverse()) await undo().catch((err) => console.log(`cleanup: ${err.message}`));
        forgetCredentials();
    });

    it("StorageBucket: create, read, update in place, delete, and read after it is gone", async function () {
        const inputs = await checked(buckets, { name: run, fileSizeLimit: 1024 * 1024, backend: CLOUD, tags: tagsOf("StorageBucket", run) } as BucketInputs);
        const bucket = (await buckets.create(inputs)).outs!;
        cleanup.push(() => buckets.delete(bucket.name, bucket));
        assert.equal((await buckets.read(bucket.name, bucket)).props!.fileSizeLimit, 1024 * 1024);
        const updated = (await buckets.update(bucket.name, bucket, { ...inputs, allowedMimeTypes: ["image/png"] })).outs!;
        assert.deepEqual((await buckets.read(bucket.name, updated)).props!.allowedMimeTypes, ["image/png"]);
        await buckets.delete(bucket.name, updated);
        assert.deepEqual(await buckets.read(bucket.name, updated), {});
        await buckets.delete(bucket.name, updated);
    });

    it("StorageBucket: a file size limit above the project's global limit is refused naming the input (or, on a project that allows 5 GiB, made)", async function () {
        const inputs = await checked(buckets, { name: `${run}-big`, fileSizeLimit: 5 * 1024 ** 3, backend: CLOUD, tags: tagsOf("StorageBucket", `${run}-big`) } as BucketInputs);
        try {
            const bucket = (await buckets.create(inputs)).outs!;
            console.log("this project's global file size limit allows 5 GiB: the bucket was made, and is deleted");
            await buckets.delete(bucket.name, bucket);
        } catch (err) {
            console.log(`Storage's answer to a 5 GiB limit, as flow-nexus says it: ${(err as Error).message}`);
            assert.match((err as Error).message, /fileSizeLimit \(flow-nexus:storage\.fileSizeLimit\) is 5368709120 bytes, above the Supabase project's global file size limit/);
        }
    });

    it("PlatformUser: create, adopt, update, delete, and read after it is gone", async function () {
        const inputs = await checked(users, { email: `${run}@example.com`, password: `pw-${run}-long-enough`, fullName: "Live Test", backend: CLOUD, tags: tagsOf("PlatformUser", run) } as UserInputs);
        const user = (await users.create(inputs)).outs!;
        cleanup.push(() => users.delete(user.userId, user));
        assert.equal((await users.create(inputs)).id, user.userId, "a second create adopts it");
        const updated = (await users.update(user.userId, user, { ...inputs, metadata: { team: "live" } })).outs!;
        assert.deepEqual((await users.read(user.userId, updated)).props!.metadata, { team: "live" });
        // Auth merges user_metadata on update: a key removed from the inputs must be removed there too.
        const removed = (await users.update(user.userId, updated, { ...inputs, metadata: {} })).outs!;
        assert.deepEqual((await users.read(user.userId, removed)).props!.metadata, {}, "no drift left by the removed key");
        await users.delete(user.userId, removed);
        assert.deepEqual(await users.read(user.userId, updated), {});
    });

    it("DatabaseSchema and RealtimeSubscription on the project's Postgres and its supabase_realtime publication", async function () {
        const schemaName = run.replace(/-/g, "_");
        const schema = (await schemas.create(await checked(schemas, {
            schema: schemaName,
            migrations: [{ id: "001", sql: "create table messages (id serial primary key, body text)" }],
            backend: CLOUD,
            tags: tagsOf("DatabaseSchema", run),
        } as SchemaInputs))).outs!;
        cleanup.push(() => schemas.delete(schema.schema, schema));
        const inputs = await checked(subscriptions, { table: `${schemaName}.messages`, backend: CLOUD, tags: tagsOf("RealtimeSubscription", run) } as RealtimeInputs);
        const subscription = (await subscriptions.create(inputs)).outs!;
        cleanup.push(() => subscriptions.delete(subscription.subscriptionId, subscription));
        assert.equal(subscription.active, true);
        await subscriptions.delete(subscription.subscriptionId, subscription);
        assert.deepEqual(await subscriptions.read(subscription.subscriptionId, subscription), {});
    });
});
