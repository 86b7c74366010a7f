/**
 * Contract: the Supabase backends (StorageBucket through the storage admin
 * API, PlatformUser through the auth admin API) against the real
 * supabase-js, its fetch answered by an in-memory Supabase (./fake-supabase).
 */
import { strict as assert } from "assert";
import { setTransport } from "../../providers/runtime/clients";
import { setCredentials } from "../../providers/runtime/credentials";
import { withDatabase } from "../../providers/runtime/postgres";
import { Inputs as BucketInputs, Outputs as BucketOutputs, provider as bucketProvider } from "../../providers/storage/resource";
import { Inputs as UserInputs, Outputs as UserOutputs, provider as userProvider } from "../../providers/user/resource";
import { rejection } from "../support";
import { json } from "./fake-http";
import { authError, bucketNotFound, FakeSupabase } from "./fake-supabase";
import { checked, CLOUD, cloudDatabase, engine, FAKE_CREDENTIALS, restoreTransport, stackConfig, tagsOf } from "./support";

describe("contract: Supabase", function () {
    this.timeout(60_000);
    const buckets = engine<BucketInputs, BucketOutputs>(bucketProvider);
    const users = engine<UserInputs, UserOutputs>(userProvider);
    const supabase = new FakeSupabase();
    let db: Awaited<ReturnType<typeof cloudDatabase>>;
    let names = 0;

    before(async function () {
        db = await cloudDatabase();
        setTransport({ fetch: supabase.http.fetch });
        await buckets.configure(stackConfig({ ...FAKE_CREDENTIALS, databaseUrl: db.url }));
    });

    after(async function () {
        restoreTransport();
        setCredentials({});
        await db?.stop();
    });

    afterEach(function () {
        assert.deepEqual(supabase.http.unmatched.map((r) => `${r.method} ${r.url.pathname}`), []);
        supabase.http.clearRecords();
    });

    describe("StorageBucket (storage admin API)", function () {
        const inputs = (overrides: Partial<BucketInputs> = {}) =>
            checked(buckets, { name: `assets-${++names}`, backend: CLOUD, tags: tagsOf("StorageBucket", `bucket${names}`), ...overrides } as BucketInputs);
        const create = async (overrides: Partial<BucketInputs> = {}) => (await buckets.create(await inputs(overrides))).outs!;

        it("creates the bucket with its rules, with the service-role key, and records which resource made it", async function () {
            const bucket = await create({ public: true, fileSizeLimit: 1024, allowedMimeTypes: ["image/png"] });
            const [call] = supabase.calls("POST", /^\/storage\/v1\/bucket$/);
            assert.equal(call.url.origin, FAKE_CREDENTIALS.supabaseUrl);
            assert.equal(call.headers.get("authorization"), `Bearer ${FAKE_CREDENTIALS.supabaseServiceRoleKey}`);
            assert.deepEqual(call.json(), { id: bucket.name, name: bucket.name, public: true, file_size_limit: 1024, allowed_mime_types: ["image/png"] });
            assert.equal(bucket.bucketId, bucket.name);
            assert.equal(bucket.url, `${FAKE_CREDENTIALS.supabaseUrl}/storage/v1/object/public/${bucket.name}`);
            const owner = await withDatabase(CLOUD, (c) => c.query("select urn from flow_nexus.storage_buckets where name = $1", [bucket.name]));
            assert.equal(owner.rows[0].urn, bucket.tags["flow-nexus:urn"]);
        });

        it("adopts its own bucket after an interrupted run, and refuses one it did not make", async function () {
            const made = await create();
            const again = await buckets.create(await inputs({ name: made.name, tags: made.tags, public: true }));
            assert.equal(again.id, made.name);
            assert.equal(supabase.calls("POST", /^\/storage\/v1\/bucket$/).length, 1, "created once");
            assert.equal(supabase.calls("PUT", /^\/storage\/v1\/bucket\//).at(-1)!.json().public, true);

            supabase.buckets.set("someone-elses", { id: "someone-elses", name: "someone-elses", public: false, file_size_limit: null, allowed_mime_types: null, objects: [] });
            const err = await rejection(() => create({ name: "someone-elses" }));
            assert.match(err.message, /a bucket named someone-elses already exists in the Supabase project \(not made by flow-nexus\); choose another name/);
        });

        it("reads the bucket's settings (drift) and drops it when Storage says it is gone, in either error shape", async function () {
            const bucket = await create();
            supabase.buckets.get(bucket.name)!.public = true;
            assert.equal((await buckets.read(bucket.name, bucket)).props!.public, true);
            supabase.buckets.delete(bucket.name);
            assert.deepEqual(await buckets.read(bucket.name, bucket), {});
            supabase.http.once("GET", /^\/storage\/v1\/bucket\//, () => bucketNotFound(404));
            assert.deepEqual(await buckets.read(bucket.name, bucket), {});
        });

        it("updates in place with the full state, and replaces on a new name", async function () {
            const bucket = await create({ allowedMimeTypes: ["image/png"] });
            const news = await inputs({ name: bucket.name, tags: bucket.tags, fileSizeLimit: 2048 });
            assert.deepEqual((await buckets.diff(bucket.name, bucket, news)).replaces, []);
            await buckets.update(bucket.name, bucket, news);
            assert.deepEqual(supabase.calls("PUT", /^\/storage\/v1\/bucket\//).at(-1)!.json(), { id: bucket.name, name: bucket.name, public: false, file_size_limit: 2048, allowed_mime_types: [] });
            assert.deepEqual((await buckets.diff(bucket.name, bucket, { ...news, name: "renamed" })).replaces, ["name"]);
        });

        it("a file size limit above the project's global limit (Free: 50 MB) is refused on create and update, naming the input", async function () {
            const big = 100 * 1024 * 1024;
            const refused = await rejection(async () => buckets.create(await inputs({ fileSizeLimit: big })));
            assert.match(
                refused.message,
                new RegExp(`^creating bucket assets-\\d+ failed: fileSizeLimit \\(flow-nexus:storage\\.fileSizeLimit\\) is ${big} bytes, above the Supabase project's global file size limit \\(Storage answered 413: The object exceeded the maximum allowed size\\)\\. The Free plan allows 50 MB`),
            );
            assert.equal([...supabase.buckets.keys()].some((name) => supabase.buckets.get(name)!.file_size_limit === big), false, "no bucket has it");
            const bucket = await create({ fileSizeLimit: 1024 });
            const err = await rejection(async () => buckets.update(bucket.name, bucket, await inputs({ name: bucket.name, tags: bucket.tags, fileSizeLimit: big })));
            assert.match(err.message, /^updating bucket \S+ failed: fileSizeLimit \(flow-nexus:storage\.fileSizeLimit\) is 104857600 bytes, above/);
            assert.equal(supabase.buckets.get(bucket.name)!.file_size_limit, 1024, "the bucket keeps its limit");
        });

        it("keeps a bucket that holds objects unless forceDestroy, empties it first with forceDestroy, and a gone one deletes fine", async function () {
            const kept = await create();
            supabase.buckets.get(kept.name)!.objects.push("logo.png");
            const err = await rejection(() => buckets.delete(kept.name, kept));
            assert.match(err.message, /bucket assets-\d+ holds objects: nothing was deleted/);
            assert.ok(supabase.buckets.has(kept.name));
            assert.equal(supabase.calls("DELETE", /^\/storage\/v1\/bucket\//).length, 0);

            await buckets.delete(kept.name, { ...kept, forceDestroy: true });
            assert.equal(supabase.calls("POST", /\/empty$/).length, 1);
            assert.equal(supabase.buckets.has(kept.name), false);
            await buckets.delete(kept.name, kept);
        });

        it("maps a refused key (401) and a rate limit (429), each checked from the returned error value", async function () {
            supabase.http.once("GET", /^\/storage\/v1\/bucket\//, () => json(401, { statusCode: "403", error: "Unauthorized", message: "invalid signature" }));
            const refused = await rejection(() => create());
            assert.match(refused.message, /reading bucket assets-\d+ failed: Supabase refused the credentials \(Supabase answered HTTP 403: invalid signature\)/);
            assert.match(refused.message, /flow-nexus:supabaseServiceRoleKey/);
            assert.doesNotMatch(refused.message + refused.stack, new RegExp(FAKE_CREDENTIALS.supabaseServiceRoleKey));
            supabase.http.once("POST", /^\/storage\/v1\/bucket$/, () => json(429, { statusCode: "429", error: "too_many_requests", message: "Too many requests" }));
            const limited = await rejection(() => create());
            assert.match(limited.message, /creating bucket assets-\d+ failed: Supabase is rate-limiting this account \(Supabase answered HTTP 429/);
        });
    });

    describe("PlatformUser (auth admin API)", function () {
        const inputs = (overrides: Partial<UserInputs> = {}) =>
            checked(users, {
                email: `dev${++names}@flow-nexus.test`,
                password: "correct-horse-battery",
                fullName: "Dev Eloper",
                metadata: { team: "platform" },
                backend: CLOUD,
                tags: tagsOf("PlatformUser", `user${names}`),
                ...overrides,
            } as UserInputs);
        const create = async (overrides: Partial<UserInputs> = {}) => (await users.create(await inputs(overrides))).outs!;

        it("creates a confirmed user with its profile and lineage tags in user_metadata", async function () {
            const user = await create();
            const [call] = supabase.calls("POST", /^\/auth\/v1\/admin\/users$/);
            const body = call.json();
            assert.equal(body.email_confirm, true);
            assert.equal(body.password, "correct-horse-battery");
            assert.deepEqual(body.user_metadata, { team: "platform", full_name: "Dev Eloper", "flow-nexus:stack": "contract", "flow-nexus:urn": user.tags["flow-nexus:urn"] });
            assert.equal(user.userId, supabase.users.values().next().value!.id);
            assert.deepEqual(user.profile.metadata, { team: "platform" });
            assert.equal(user.profile.fullName, "Dev Eloper");
        });

        it("adopts the user an interrupted run made, and refuses an email it did not make", async function () {
            const made = await create();
            const again = await users.create(await inputs({ email: made.email, tags: made.tags }));
            assert.equal(again.id, made.userId);
            assert.equal(supabase.calls("POST", /^\/auth\/v1\/admin\/users$/).length, 1);
            const err = await rejection(() => create({ email: made.email }));
            assert.match(err.message, /a Supabase user with email dev\d+@flow-nexus\.test already exists and was not made by this resource/);
        });

        it("updates the password only when it changed; a new email replaces the user (delete first)", async function () {
            const user = await create();
            await users.update(user.userId, user, { ...user, metadata: { team: "infra" } });
            assert.equal(supabase.calls("PUT", /^\/auth\/v1\/admin\/users\//).at(-1)!.json().password, undefined);
            await users.update(user.userId, user, { ...user, password: "another-long-password" });
            assert.equal(supabase.calls("PUT", /^\/auth\/v1\/admin\/users\//).at(-1)!.json().password, "another-long-password");
            const diff = await users.diff(user.userId, user, { ...user, email: "new@flow-nexus.test" });
            assert.deepEqual([diff.replaces, diff.deleteBeforeReplace], [["email"], true]);
        });

        it("a metadata key removed from the inputs is removed in Auth, which merges metadata", async function () {
            const user = await create();
            assert.equal(supabase.users.get(user.userId)!.user_metadata.team, "platform");
            const outs = (await users.update(user.userId, user, { ...user, metadata: {}, fullName: undefined })).outs!;
            assert.equal("team" in supabase.users.get(user.userId)!.user_metadata, false);
            assert.equal("full_name" in supabase.users.get(user.userId)!.user_metadata, false);
            assert.deepEqual((await users.read(user.userId, outs)).props!.metadata, {}, "no drift left behind");
        });

        it("reads drift, drops a deleted user, and deleting a gone user succeeds", async function () {
            const user = await create();
            supabase.users.get(user.userId)!.user_metadata.team = "sales";
            assert.deepEqual((await users.read(user.userId, user)).props!.metadata, { team: "sales" });
            await users.delete(user.userId, user);
            assert.equal(supabase.users.has(user.userId), false);
            assert.deepEqual(await users.read(user.userId, user), {});
            await users.delete(user.userId, user);
            const err = await rejection(() => users.update(user.userId, user, { ...user, fullName: "X" }));
            assert.match(err.message, /no longer exists: run pulumi refresh, then up/);
        });

        it("maps Auth's rate limit and refused key", async function () {
            supabase.http.once("GET", /^\/auth\/v1\/admin\/users$/, () => authError(429, "over_request_rate_limit", "Request rate limit reached"));
            assert.match((await rejection(() => create())).message, /looking up the Supabase user .* failed: Supabase is rate-limiting this account/);
            supabase.http.once("GET", /^\/auth\/v1\/admin\/users$/, () => authError(401, "no_authorization", "This endpoint requires a valid Bearer token"));
            assert.match((await rejection(() => create())).message, /Supabase refused the credentials .*flow-nexus:supabaseServiceRoleKey/);
        });
    });
});
