/**
 * Contract: the E2B Sandbox backend against the real `e2b` SDK, its HTTP
 * answered by an in-memory E2B (./fake-e2b). Asserts the calls the backend
 * makes and how each documented failure reaches the user.
 */
import { strict as assert } from "assert";
import { readAuditLog } from "../../providers/runtime/audit";
import { setTransport } from "../../providers/runtime/clients";
import { setCredentials } from "../../providers/runtime/credentials";
import { fingerprint } from "../../providers/sandbox/fingerprint";
import { Inputs, Outputs, provider } from "../../providers/sandbox/resource";
import { rejection } from "../support";
import { FakeE2B } from "./fake-e2b";
import { json } from "./fake-http";
import { checked, CLOUD, cloudDatabase, engine, FAKE_CREDENTIALS, restoreTransport, stackConfig, tagsOf } from "./support";

describe("contract: Sandbox on E2B", function () {
    this.timeout(60_000);
    const sandboxes = engine<Inputs, Outputs>(provider);
    const e2b = new FakeE2B();
    let db: Awaited<ReturnType<typeof cloudDatabase>>;
    let names = 0;

    async function inputs(overrides: Partial<Inputs> = {}): Promise<Inputs> {
        return checked(sandboxes, { template: "node", timeoutSeconds: 600, backend: CLOUD, tags: tagsOf("Sandbox", `sbx${++names}`), ...overrides } as Inputs);
    }

    async function create(overrides: Partial<Inputs> = {}): Promise<Outputs> {
        return (await sandboxes.create(await inputs(overrides))).outs!;
    }

    before(async function () {
        db = await cloudDatabase();
        setTransport({ e2b: await e2b.listen() });
        await sandboxes.configure(stackConfig({ ...FAKE_CREDENTIALS, databaseUrl: db.url }));
    });

    after(async function () {
        restoreTransport();
        setCredentials({});
        await e2b.close();
        await db?.stop();
    });

    afterEach(function () {
        assert.deepEqual(e2b.http.unmatched.map((r) => `${r.method} ${r.url.pathname}`), []);
        e2b.http.clearRecords();
    });

    it("creates a sandbox with its template, timeout, envs, lifecycle and metadata tagged with the stack and URN", async function () {
        const sandbox = await create({ envs: { NODE_ENV: "production" }, metadata: { team: "platform" }, onTimeout: "pause", ports: 2 });
        const [call] = e2b.http.calls("POST", /^\/v2\/sandboxes$/);
        assert.equal(call.headers.get("x-api-key"), FAKE_CREDENTIALS.e2bApiKey);
        const body = call.json();
        assert.equal(body.templateID, "node");
        assert.equal(body.timeout, 600);
        assert.deepEqual(body.envVars, { NODE_ENV: "production" });
        assert.equal(body.autoPause, true);
        assert.equal(body.metadata.team, "platform");
        assert.equal(body.metadata["flow-nexus:stack"], "contract");
        assert.equal(body.metadata["flow-nexus:urn"], sandbox.tags["flow-nexus:urn"]);
        assert.equal(body.metadata["flow-nexus:fingerprint"], fingerprint(sandbox));

        assert.equal(sandbox.status, "running");
        // E2B's routing (the SDK's getHost): `<port>-<id>.<domain>`; the bare `<id>.<domain>` answers nothing.
        assert.equal(sandbox.host, `3000-${sandbox.sandboxId}.e2b.test`);
        assert.deepEqual(sandbox.allocatedPorts, [3000, 3001]);
        assert.deepEqual(sandbox.urls, [`https://3000-${sandbox.sandboxId}.e2b.test`, `https://3001-${sandbox.sandboxId}.e2b.test`]);
        assert.equal(sandbox.isolation, "microvm");
        assert.equal(sandbox.workDir, "/home/user");
        // The user's metadata only: the tags would show as drift.
        assert.deepEqual(sandbox.metadata, { team: "platform" });
        const audit = await readAuditLog(CLOUD);
        assert.ok(audit.some((row) => row.urn === sandbox.tags["flow-nexus:urn"] && row.action === "create" && row.type === "Sandbox"));
    });

    it("a linked sandbox is created with what its links give, the Supabase project's URL and anon key, none of it in state", async function () {
        const links = [{ type: "StorageBucket" as const, name: "files", bucket: "app-files", public: false }];
        const sandbox = await create({ envs: { NODE_ENV: "production" }, links });
        const body = e2b.http.calls("POST", /^\/v2\/sandboxes$/).at(-1)!.json();
        assert.deepEqual(body.envVars, {
            NODE_ENV: "production",
            FLOW_NEXUS_RESOURCES: JSON.stringify({ files: { type: "StorageBucket", bucket: "app-files", public: false } }),
            SUPABASE_URL: FAKE_CREDENTIALS.supabaseUrl,
            SUPABASE_ANON_KEY: FAKE_CREDENTIALS.supabaseAnonKey,
        });
        assert.deepEqual(sandbox.envs, { NODE_ENV: "production" }, "the state keeps the envs asked for, not the keys");
        assert.ok(!JSON.stringify(sandbox).includes(FAKE_CREDENTIALS.supabaseAnonKey));
    });

    it("runs the startup script; one that fails kills the sandbox and quotes its output", async function () {
        e2b.onCommand(/npm ci/, () => ({ exitCode: 3, stderr: "npm ERR! missing package.json\n" }));
        const err = await rejection(() => create({ startupScript: "npm ci" }));
        assert.match(err.message, /startup script of sandbox sbx\d+ exited with code 3/);
        assert.match(err.message, /npm ERR! missing package\.json/);
        const killed = e2b.http.calls("DELETE", /^\/sandboxes\/sbx\d+$/);
        assert.equal(killed.length, 1);
        assert.equal(e2b.sandboxes.has(killed[0].url.pathname.split("/")[2]), false);
    });

    it("adopts the sandbox an interrupted run of the same resource made, instead of creating a second one", async function () {
        const wanted = await inputs();
        const left = e2b.add({ metadata: { "flow-nexus:stack": "contract", "flow-nexus:urn": wanted.tags["flow-nexus:urn"], "flow-nexus:fingerprint": fingerprint(wanted) } });
        const { id, outs } = await sandboxes.create(wanted);
        assert.equal(id, left.sandboxID);
        assert.equal(outs!.sandboxId, left.sandboxID);
        assert.equal(e2b.http.calls("POST", /^\/v2\/sandboxes$/).length, 0);
        const [list] = e2b.http.calls("GET", /^\/v2\/sandboxes$/);
        const query = decodeURIComponent(decodeURIComponent(list.url.searchParams.get("metadata")!));
        assert.ok(query.includes(`flow-nexus:urn=${wanted.tags["flow-nexus:urn"]}`), query);
    });

    it("never adopts the sandbox a replacement is about to delete (other fingerprint)", async function () {
        const old = await create({ envs: { A: "1" } });
        const replacement = await inputs({ envs: { A: "2" }, tags: old.tags });
        const diff = await sandboxes.diff(old.sandboxId, old, replacement);
        assert.deepEqual(diff.replaces, ["envs"]);
        const { id } = await sandboxes.create(replacement);
        assert.notEqual(id, old.sandboxId);
        await sandboxes.delete(old.sandboxId, old);
        assert.equal(e2b.sandboxes.has(old.sandboxId), false);
        assert.equal(e2b.sandboxes.has(id), true);
    });

    it("an onTimeout change (which replaces on E2B) makes a new sandbox, and the old one's delete leaves it alone", async function () {
        const old = await create({ onTimeout: "kill" });
        const replacement = await inputs({ onTimeout: "pause", tags: old.tags });
        assert.deepEqual((await sandboxes.diff(old.sandboxId, old, replacement)).replaces, ["onTimeout"]);
        const { id } = await sandboxes.create(replacement);
        assert.notEqual(id, old.sandboxId, "the sandbox being replaced is never adopted as its replacement");
        await sandboxes.delete(old.sandboxId, old);
        assert.equal(e2b.sandboxes.has(id), true, "the replacement survives the old one's delete");
    });

    it("read reports running and paused, and drops a sandbox that is gone", async function () {
        const sandbox = await create();
        assert.equal((await sandboxes.read(sandbox.sandboxId, sandbox)).props!.status, "running");
        e2b.sandboxes.get(sandbox.sandboxId)!.state = "paused";
        assert.equal((await sandboxes.read(sandbox.sandboxId, sandbox)).props!.status, "paused");
        e2b.sandboxes.delete(sandbox.sandboxId);
        assert.deepEqual(await sandboxes.read(sandbox.sandboxId, sandbox), {});
    });

    it("changes the timeout in place with setTimeout, and resumes a paused sandbox with it", async function () {
        const sandbox = await create();
        const longer = await inputs({ timeoutSeconds: 7200, tags: sandbox.tags });
        const diff = await sandboxes.diff(sandbox.sandboxId, sandbox, longer);
        assert.deepEqual(diff.replaces, []);
        assert.ok(diff.changes);
        const { outs } = await sandboxes.update(sandbox.sandboxId, sandbox, longer);
        assert.deepEqual(e2b.http.calls("POST", /\/timeout$/).map((r) => r.json()), [{ timeout: 7200 }]);
        assert.ok(Date.parse(outs!.endAt) > Date.now() + 7000 * 1000);

        e2b.sandboxes.get(sandbox.sandboxId)!.state = "paused";
        const resumed = await sandboxes.update(sandbox.sandboxId, outs!, await inputs({ timeoutSeconds: 900, tags: sandbox.tags }));
        assert.equal(e2b.http.calls("POST", /\/connect$/).length, 1);
        assert.equal(resumed.outs!.status, "running");
    });

    it("a timeout above the plan's limit (Hobby: 1 h) names the input and the limit, on create and on update, and creates nothing", async function () {
        e2b.maxTimeoutHours = 1;
        try {
            const before = e2b.sandboxes.size;
            const refused = await rejection(() => create({ timeoutSeconds: 7200 }));
            assert.match(refused.message, /^creating an E2B sandbox from template node failed: timeoutSeconds \(flow-nexus:sandbox\.timeoutSeconds\) is 7200, above what this E2B account's plan allows, 1 h \(3600 seconds; E2B allows 1 h on Hobby and 24 h on Pro\)\. Set it to 3600 or less/);
            assert.equal(e2b.sandboxes.size, before, "nothing was created");
            const sandbox = await create({ timeoutSeconds: 3600 });
            const err = await rejection(async () => sandboxes.update(sandbox.sandboxId, sandbox, await inputs({ timeoutSeconds: 5400, tags: sandbox.tags })));
            assert.match(err.message, /^setting the timeout of E2B sandbox \S+ failed: timeoutSeconds \(flow-nexus:sandbox\.timeoutSeconds\) is 5400, above .* 1 h \(3600 seconds/);
            assert.equal(Date.parse(e2b.sandboxes.get(sandbox.sandboxId)!.endAt) <= Date.now() + 3600 * 1000, true, "its end time is unchanged");
        } finally {
            e2b.maxTimeoutHours = 24;
        }
    });

    it("replaces the sandbox when onTimeout changes: E2B sets the lifecycle at creation", async function () {
        const sandbox = await create({ onTimeout: "kill" });
        const diff = await sandboxes.diff(sandbox.sandboxId, sandbox, await inputs({ onTimeout: "pause", tags: sandbox.tags }));
        assert.deepEqual(diff.replaces, ["onTimeout"]);
    });

    it("deletes with kill, and deleting a sandbox that is gone succeeds", async function () {
        const sandbox = await create();
        await sandboxes.delete(sandbox.sandboxId, sandbox);
        assert.equal(e2b.sandboxes.has(sandbox.sandboxId), false);
        await sandboxes.delete(sandbox.sandboxId, sandbox);
        assert.equal(e2b.http.calls("DELETE", /^\/sandboxes\//).length, 2);
    });

    it("an update of a sandbox that expired says to refresh", async function () {
        const sandbox = await create();
        e2b.sandboxes.delete(sandbox.sandboxId);
        const err = await rejection(() => sandboxes.update(sandbox.sandboxId, sandbox, { ...sandbox, timeoutSeconds: 900 }));
        assert.match(err.message, /sandbox sbx\d+ is gone .*pulumi refresh/);
    });

    it("maps a refused API key (401) to the config key to fix, without the key in the message", async function () {
        e2b.http.once("POST", /^\/v2\/sandboxes$/, () => json(401, { code: 401, message: "Invalid API key, it must start with e2b_" }));
        const err = await rejection(() => create());
        assert.match(err.message, /creating an E2B sandbox from template node failed: E2B refused the credentials \(E2B answered HTTP 401/);
        assert.match(err.message, /pulumi config set --secret flow-nexus:e2bApiKey/);
        assert.doesNotMatch(err.message + err.stack, new RegExp(FAKE_CREDENTIALS.e2bApiKey));
    });

    it("maps a rate limit (429) to waiting and running again", async function () {
        e2b.http.once("GET", /^\/v2\/sandboxes$/, () => json(429, { code: 429, message: "rate limit exceeded" }));
        const err = await rejection(() => create());
        assert.match(err.message, /listing the E2B sandboxes of .* failed: E2B is rate-limiting this account \(E2B answered HTTP 429/);
        assert.match(err.message, /wait a minute, then run it again/);
    });

    it("fails check at preview when the stack has no E2B API key", async function () {
        setCredentials({ databaseUrl: db.url });
        try {
            const { failures } = await sandboxes.check({}, { template: "node", backend: CLOUD, tags: tagsOf("Sandbox", "nokey") } as Inputs);
            assert.equal(failures!.length, 1);
            assert.equal(failures![0].property, "backend");
            assert.match(failures![0].reason, /backend cloud needs flow-nexus:e2bApiKey in stack config: `pulumi config set --secret flow-nexus:e2bApiKey/);
        } finally {
            await sandboxes.configure(stackConfig({ ...FAKE_CREDENTIALS, databaseUrl: db.url }));
        }
    });
});
