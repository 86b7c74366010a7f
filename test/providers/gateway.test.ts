/**
 * The local twin of Supabase's APIs, tried with the client users have
 * (@supabase/supabase-js) against the gateway of a real stack: real
 * Postgres, real buckets, real users, real logical replication.
 */
import { strict as assert } from "assert";
import { createClient, SupabaseClient } from "@supabase/supabase-js";
import WebSocket from "ws";
import { ensureGateway, Gateway, gatewayProcess } from "../../providers/runtime/gateway";
import { withDatabase } from "../../providers/runtime/postgres";
import { isAlive, waitUntil } from "../../providers/runtime/process";
import { provider as realtimeProvider } from "../../providers/realtime/resource";
import { provider as schemaProvider } from "../../providers/schema/resource";
import { provider as bucketProvider } from "../../providers/storage/resource";
import { provider as userProvider } from "../../providers/user/resource";
import { asEngine, removeStackData, tempDataDir, testTags } from "../support";

const buckets = asEngine(bucketProvider);
const users = asEngine(userProvider);
const schemas = asEngine(schemaProvider);
const subscriptions = asEngine(realtimeProvider);

const EMAIL = "ada@example.com";
const PASSWORD = "correct-horse-battery-staple";

function client(gateway: Gateway, key: string): SupabaseClient {
    return createClient(gateway.url, key, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } });
}

describe("gateway: the Supabase APIs of a local stack, through supabase-js", function () {
    this.timeout(120_000);
    let dataDir: string;
    let gateway: Gateway;
    let anon: SupabaseClient;
    let service: SupabaseClient;
    let signedIn: SupabaseClient;

    async function create(engine: ReturnType<typeof asEngine>, type: string, name: string, props: Record<string, unknown>) {
        const { inputs, failures } = await engine.check({}, { ...props, backend: { kind: "local", dataDir }, tags: testTags(type, name) });
        assert.deepEqual(failures ?? [], []);
        return (await engine.create(inputs)).outs;
    }

    before(async function () {
        dataDir = await tempDataDir();
        await create(buckets, "StorageBucket", "private", { name: "private-files", fileSizeLimit: 1024, allowedMimeTypes: ["text/plain", "image/*"] });
        await create(buckets, "StorageBucket", "public", { name: "public-files", public: true });
        await create(users, "PlatformUser", "ada", { email: EMAIL, password: PASSWORD });
        await create(schemas, "DatabaseSchema", "chat", {
            schema: "chat",
            migrations: [
                { id: "001", sql: "create table messages (id serial primary key, room int not null, body text not null, at timestamptz default now())" },
                // As on Supabase: the API roles get what the schema grants them, and row-level policies decide the rest.
                {
                    id: "002",
                    sql: [
                        "grant usage on schema chat to anon, authenticated, service_role",
                        "grant select on chat.messages to anon",
                        "grant select, insert, update, delete on chat.messages to authenticated, service_role",
                        "grant usage on sequence chat.messages_id_seq to authenticated, service_role",
                        "create table private_notes (id serial primary key, owner uuid not null default auth.uid(), body text not null)",
                        "alter table private_notes enable row level security",
                        "create policy own on private_notes for all to authenticated using (owner = auth.uid()) with check (owner = auth.uid())",
                        "grant select, insert on private_notes to authenticated, service_role",
                        "grant usage on sequence private_notes_id_seq to authenticated",
                    ].join(";\n"),
                },
            ],
        });
        await create(subscriptions, "RealtimeSubscription", "messages", { table: "chat.messages", events: ["*"], filter: "room=eq.1" });
        gateway = await ensureGateway(dataDir);
        anon = client(gateway, gateway.anonKey);
        service = client(gateway, gateway.serviceRoleKey);
        signedIn = client(gateway, gateway.anonKey);
        const { error } = await signedIn.auth.signInWithPassword({ email: EMAIL, password: PASSWORD });
        assert.equal(error, null);
    });

    after(async function () {
        await Promise.all([anon, service, signedIn].map((c) => c?.removeAllChannels()));
        await removeStackData(dataDir);
    });

    it("upload then download returns the same bytes; upsert replaces, a second plain upload is a conflict", async function () {
        const bytes = Buffer.from([0, 1, 2, 250, 255, 10]);
        const up = await signedIn.storage.from("private-files").upload("notes/a.png", bytes, { contentType: "image/png" });
        assert.equal(up.error, null);
        assert.equal(up.data?.fullPath, "private-files/notes/a.png");
        const down = await signedIn.storage.from("private-files").download("notes/a.png");
        assert.equal(down.error, null);
        assert.deepEqual(Buffer.from(await down.data!.arrayBuffer()), bytes);
        const again = await signedIn.storage.from("private-files").upload("notes/a.png", "x", { contentType: "text/plain" });
        assert.equal((again.error as { statusCode?: string }).statusCode, "409");
        assert.equal(again.error?.message, "The resource already exists");
        const upsert = await signedIn.storage.from("private-files").upload("notes/a.png", "replaced", { contentType: "text/plain", upsert: true });
        assert.equal(upsert.error, null);
        assert.equal(await (await signedIn.storage.from("private-files").download("notes/a.png")).data!.text(), "replaced");
    });

    it("a Blob goes up as multipart, with its own type", async function () {
        const { error } = await signedIn.storage.from("private-files").upload("blob.txt", new Blob(["from a blob"], { type: "text/plain" }));
        assert.equal(error, null);
        const info = await signedIn.storage.from("private-files").info("blob.txt");
        assert.equal(info.data?.contentType, "text/plain");
        assert.equal(await (await service.storage.from("private-files").download("blob.txt")).data!.text(), "from a blob");
    });

    it("list with prefix, limit and offset; move, copy and remove", async function () {
        const bucket = service.storage.from("private-files");
        for (const name of ["b.txt", "c.txt", "d.txt"]) assert.equal((await bucket.upload(`list/${name}`, name, { contentType: "text/plain" })).error, null);
        const all = await bucket.list("list");
        assert.deepEqual(all.data?.map((o) => o.name), ["b.txt", "c.txt", "d.txt"]);
        assert.equal(all.data?.[0].metadata?.size, 5);
        const page = await bucket.list("list", { limit: 1, offset: 1 });
        assert.deepEqual(page.data?.map((o) => o.name), ["c.txt"]);
        const top = await bucket.list();
        assert.ok(top.data?.some((o) => o.name === "list" && o.id === null), "a folder is listed with a null id");
        assert.equal((await bucket.move("list/b.txt", "moved/b.txt")).error, null);
        assert.equal((await bucket.copy("list/c.txt", "copied/c.txt")).error, null);
        assert.equal(await (await bucket.download("moved/b.txt")).data!.text(), "b.txt");
        assert.equal(await (await bucket.download("copied/c.txt")).data!.text(), "c.txt");
        const gone = await bucket.download("list/b.txt");
        assert.deepEqual([(gone.error as { statusCode?: string }).statusCode, gone.error?.message], ["404", "Object not found"]);
        const removed = await bucket.remove(["moved/b.txt", "copied/c.txt"]);
        assert.equal(removed.data?.length, 2);
        // Encoded, so that no URL normalisation takes the dots away first.
        const escape = await fetch(`${gateway.url}/storage/v1/object/..%2F..%2Fpostgres/instance.json`, { headers: { authorization: `Bearer ${gateway.serviceRoleKey}` } });
        assert.deepEqual(await escape.json(), { statusCode: "404", code: "NoSuchBucket", error: "Bucket not found", message: "Bucket not found" }, "no path out of the storage folder");
        const traversal = await fetch(`${gateway.url}/storage/v1/object/private-files/..%2F..%2Fpostgres%2Finstance.json`, { headers: { authorization: `Bearer ${gateway.serviceRoleKey}` } });
        assert.equal((await traversal.json()).code, "InvalidKey", "nor out of the bucket");
    });

    it("a private bucket refuses an anonymous download; a signed URL works until it expires", async function () {
        await service.storage.from("private-files").upload("secret.txt", "top secret", { contentType: "text/plain" });
        const refused = await anon.storage.from("private-files").download("secret.txt");
        assert.ok(refused.error, "anonymous download of a private object fails");
        const anonUpload = await anon.storage.from("private-files").upload("anon.txt", "x", { contentType: "text/plain" });
        assert.equal((anonUpload.error as { statusCode?: string }).statusCode, "403");
        const signed = await service.storage.from("private-files").createSignedUrl("secret.txt", 1);
        assert.equal(signed.error, null);
        const ok = await fetch(signed.data!.signedUrl);
        assert.equal(ok.status, 200);
        assert.equal(await ok.text(), "top secret");
        await new Promise((r) => setTimeout(r, 2100));
        const expired = await fetch(signed.data!.signedUrl);
        assert.equal(expired.status, 400);
        assert.match(JSON.stringify(await expired.json()), /expired/);
    });

    it("a public bucket's objects are at their public URL, for anyone", async function () {
        await service.storage.from("public-files").upload("hello.txt", "hello world", { contentType: "text/plain" });
        const { data } = anon.storage.from("public-files").getPublicUrl("hello.txt");
        const res = await fetch(data.publicUrl);
        assert.equal(res.status, 200);
        assert.equal(await res.text(), "hello world");
        const privateUrl = anon.storage.from("private-files").getPublicUrl("secret.txt").data.publicUrl;
        assert.notEqual((await fetch(privateUrl)).status, 200, "a private bucket has no public URL");
    });

    it("an oversize or wrong-MIME upload gets Supabase's status and message", async function () {
        const big = await service.storage.from("private-files").upload("big.txt", Buffer.alloc(2048, 97), { contentType: "text/plain" });
        assert.deepEqual({ status: (big.error as { status?: number }).status, statusCode: (big.error as { statusCode?: string }).statusCode, message: big.error?.message }, {
            status: 400,
            statusCode: "413",
            message: "The object exceeded the maximum allowed size",
        });
        const pdf = await service.storage.from("private-files").upload("doc.pdf", "%PDF", { contentType: "application/pdf" });
        assert.equal((pdf.error as { statusCode?: string }).statusCode, "415");
        assert.equal(pdf.error?.message, "mime type application/pdf is not supported");
    });

    it("a bad JWT is refused by storage, auth and realtime", async function () {
        const forged = client(gateway, gateway.anonKey.slice(0, -4) + "AAAA");
        const res = await forged.storage.from("public-files").list();
        assert.equal((res.error as { statusCode?: string }).statusCode, "403");
        const user = await forged.auth.signInWithPassword({ email: EMAIL, password: PASSWORD });
        assert.equal(user.error?.status, 401);
        const status = await new Promise<string>((resolve) => {
            forged.channel("forged").on("postgres_changes", { event: "*", schema: "chat", table: "messages" }, () => {}).subscribe((s) => s !== "SUBSCRIBED" && resolve(s));
        });
        assert.equal(status, "CHANNEL_ERROR");
        await forged.removeAllChannels();
    });

    it("auth: a wrong password is refused; getUser and refresh work", async function () {
        const wrong = await anon.auth.signInWithPassword({ email: EMAIL, password: "nope-nope-nope" });
        assert.equal(wrong.error?.message, "Invalid login credentials");
        assert.equal(wrong.error?.status, 400);
        const { data } = await signedIn.auth.getUser();
        assert.equal(data.user?.email, EMAIL);
        const refreshed = await signedIn.auth.refreshSession();
        assert.equal(refreshed.error, null);
        assert.equal(refreshed.data.user?.email, EMAIL);
    });

    it("realtime: INSERT, UPDATE and DELETE of the subscribed table arrive within a second, filtered", async function () {
        const events: Array<{ eventType: string; new: Record<string, unknown>; old: Record<string, unknown>; at: number; committed: string }> = [];
        await new Promise<void>((resolve, reject) => {
            signedIn
                .channel("room-1")
                .on("postgres_changes", { event: "*", schema: "chat", table: "messages" }, (p) =>
                    events.push({ eventType: p.eventType, new: p.new, old: p.old, at: Date.now(), committed: p.commit_timestamp }),
                )
                .subscribe((status, err) => (status === "SUBSCRIBED" ? resolve() : status !== "CLOSED" && reject(err ?? new Error(status))));
        });
        const started = Date.now();
        await withDatabase(dataDir, async (db) => {
            await db.query("insert into chat.messages (room, body) values (2, 'other room')");
            await db.query("insert into chat.messages (room, body) values (1, 'hello')");
            await db.query("update chat.messages set body = 'edited' where room = 1");
            await db.query("delete from chat.messages where room = 1");
        });
        const deadline = Date.now() + 3000;
        while (events.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(events.map((e) => e.eventType), ["INSERT", "UPDATE", "DELETE"], "room 2 is filtered out by the subscription's room=eq.1");
        assert.equal(events[0].new.body, "hello");
        assert.equal(events[0].new.room, 1);
        assert.equal(events[1].old.body, "hello");
        assert.equal(events[1].new.body, "edited");
        assert.equal(events[2].old.body, "edited");
        for (const e of events) {
            assert.ok(e.at - started < 1000, `${e.eventType} arrived ${e.at - started} ms after the writes began`);
            // The commit's own time, as Supabase sends it: within the test's seconds, not another epoch's.
            assert.ok(Math.abs(Date.parse(e.committed) - started) < 5000, `${e.eventType} committed at ${e.committed}, the writes began at ${new Date(started).toISOString()}`);
        }
    });

    it("realtime: a client whose gateway restarted rejoins by itself and receives again", async function () {
        const bodies: string[] = [];
        let joins = 0;
        const channel = signedIn
            .channel("reconnecting")
            .on("postgres_changes", { event: "INSERT", schema: "chat", table: "messages" }, (p) => bodies.push(String(p.new.body)))
            .subscribe((status) => status === "SUBSCRIBED" && joins++);
        assert.ok(await waitUntil(() => joins === 1, 10_000), "joined");
        const before = (await gatewayProcess(dataDir))!;
        process.kill(before.process.pid, "SIGKILL");
        assert.ok(await waitUntil(() => !isAlive(before.process), 5000));
        const again = await ensureGateway(dataDir);
        assert.equal(again.port, gateway.port, "started again on its port");
        assert.ok(await waitUntil(() => joins === 2, 20_000), "realtime-js rejoined the restarted gateway");
        await withDatabase(dataDir, (db) => db.query("insert into chat.messages (room, body) values (1, 'after the restart')"));
        assert.ok(await waitUntil(() => bodies.includes("after the restart"), 3000), `received: ${bodies.join(", ")}`);
        await signedIn.removeChannel(channel);
    });

    it("a table without a RealtimeSubscription is refused with a clear reason", async function () {
        const result = await new Promise<{ status: string; err?: Error }>((resolve) => {
            anon.channel("nope").on("postgres_changes", { event: "*", schema: "flow_nexus", table: "users" }, () => {}).subscribe((status, err) => status !== "SUBSCRIBED" && resolve({ status, err }));
        });
        assert.equal(result.status, "CHANNEL_ERROR");
        assert.match(String(result.err?.message), /flow_nexus\.users has no RealtimeSubscription/);
    });

    it("rest: select, insert, update and delete as the JWT's role, under the schema's grants and policies", async function () {
        const messages = () => signedIn.schema("chat").from("messages");
        const inserted = await messages().insert({ room: 7, body: "via rest" }).select().single();
        assert.equal(inserted.error, null);
        assert.equal((inserted.data as { body: string }).body, "via rest");
        const listed = await anon.schema("chat").from("messages").select("id, body", { count: "exact" }).eq("room", 7).order("id");
        assert.equal(listed.error, null);
        assert.deepEqual(listed.data?.map((r) => r.body), ["via rest"]);
        assert.equal(listed.count, 1);
        assert.equal((await messages().update({ body: "edited via rest" }).eq("room", 7)).error, null);
        assert.equal((await messages().select("body").eq("room", 7).single()).data?.body, "edited via rest");
        const refused = await anon.schema("chat").from("messages").insert({ room: 7, body: "anonymous" });
        assert.deepEqual([refused.status, refused.error?.code], [401, "42501"], "anon was granted select only");
        assert.equal((await messages().delete().eq("room", 7)).error, null);
        assert.deepEqual((await messages().select().eq("room", 7)).data, []);
        const mine = await signedIn.schema("chat").from("private_notes").insert({ body: "mine" }).select().single();
        assert.equal(mine.error, null, "auth.uid() is the signed-in user");
        assert.equal((mine.data as { owner: string }).owner, (await signedIn.auth.getUser()).data.user?.id);
        assert.deepEqual((await service.schema("chat").from("private_notes").select("body")).data, [{ body: "mine" }], "service_role bypasses row-level security");
        const platform = await service.schema("flow_nexus").from("users").select();
        assert.deepEqual([platform.status, platform.error?.code], [406, "PGRST106"], "the platform's own tables are not served");
        assert.match(String(platform.error?.message), /The schema must be one of the following: public, chat/);
    });

    it("the gateway runs as one process on the port it reports", async function () {
        const running = await gatewayProcess(dataDir);
        assert.equal(running?.port, gateway.port);
        assert.equal((await ensureGateway(dataDir)).port, gateway.port, "a second ensure adopts it");
    });
});
