/**
 * Bad stack configs, as users write them: the dev stack's config with one
 * thing wrong, run through the program itself (stacks/index.ts) under
 * Pulumi's mocks. Each must stop the program with one line that names the
 * `flow-nexus:` key, before any resource is registered. (The e2e suite runs
 * a sample of these through the real engine's preview.)
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import { load } from "js-yaml";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");
const PROGRAM = path.join(PROJECT_DIR, "stacks", "index.ts");
const PASSWORD = "correct horse battery staple";

/** The dev stack's config, with the password in plain text (as the engine hands it to a program). */
function devConfig(): Record<string, unknown> {
    const file = load(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    return { ...file.config, "flow-nexus:password": PASSWORD };
}

let registered = 0;

/** Runs the program with `config`; what it threw, or undefined. */
async function run(config: Record<string, unknown>): Promise<string | undefined> {
    const strings = Object.fromEntries(
        Object.entries(config)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    );
    pulumi.runtime.setAllConfig(strings, ["flow-nexus:password"]);
    for (const key of Object.keys(require.cache)) if (key.startsWith(path.join(PROJECT_DIR, "stacks"))) delete require.cache[key];
    try {
        require(PROGRAM);
        return undefined;
    } catch (err) {
        return (err as Error).message;
    }
}

type Edit = Record<string, unknown>;
/** A section of the dev config with some settings changed (undefined removes one). */
const withIn = (section: string, changes: Record<string, unknown>): Edit => ({
    [`flow-nexus:${section}`]: Object.fromEntries(
        Object.entries({ ...(devConfig()[`flow-nexus:${section}`] as object), ...changes }).filter(([, v]) => v !== undefined),
    ),
});
const file = (s: string) => ({ "flow-nexus:database": { schema: "app", migrations: s } });

/** [what a user did, the change, the key the one line names]. */
const CASES: Array<[string, Edit, string]> = [
    // user
    ["a malformed email", withIn("user", { email: "not-an-email" }), "flow-nexus:user.email"],
    ["an email set to null", withIn("user", { email: null }), "flow-nexus:user.email"],
    ["a full name of 201 characters", withIn("user", { fullName: "x".repeat(201) }), "flow-nexus:user.fullName"],
    ["a metadata value that is a number", withIn("user", { metadata: { team: 7 } }), "flow-nexus:user.metadata.team"],
    ["a typo in a user setting", withIn("user", { emial: "a@b.co" }), "flow-nexus:user.emial"],
    ["the user section as a string", { "flow-nexus:user": "dev@flow-nexus.local" }, "flow-nexus:user"],
    // password
    ["a too-short password", { "flow-nexus:password": "short" }, "flow-nexus:password"],
    ["a too-long password", { "flow-nexus:password": "x".repeat(73) }, "flow-nexus:password"],
    ["no password", { "flow-nexus:password": undefined }, "flow-nexus:password"],
    // sandbox
    ["a negative timeout", withIn("sandbox", { timeoutSeconds: -5 }), "flow-nexus:sandbox.timeoutSeconds"],
    ["a timeout over 24 hours", withIn("sandbox", { timeoutSeconds: 90000 }), "flow-nexus:sandbox.timeoutSeconds"],
    ["a timeout given as text", withIn("sandbox", { timeoutSeconds: "ten minutes" }), "flow-nexus:sandbox.timeoutSeconds"],
    ["a timeout set to null", withIn("sandbox", { timeoutSeconds: null }), "flow-nexus:sandbox.timeoutSeconds"],
    ["an unknown template", withIn("sandbox", { template: "cobol" }), "flow-nexus:sandbox.template"],
    ["17 ports", withIn("sandbox", { ports: 17 }), "flow-nexus:sandbox.ports"],
    ["an unknown onTimeout", withIn("sandbox", { onTimeout: "die" }), "flow-nexus:sandbox.onTimeout"],
    ["an env name a shell refuses", withIn("sandbox", { envs: { "1BAD": "x" } }), "flow-nexus:sandbox.envs"],
    ["an env value set to null", withIn("sandbox", { envs: { NODE_ENV: null } }), "flow-nexus:sandbox.envs.NODE_ENV"],
    ["an empty startup script", withIn("sandbox", { startupScript: "" }), "flow-nexus:sandbox.startupScript"],
    ["a typo in a sandbox setting", withIn("sandbox", { tiemoutSeconds: 600 }), "flow-nexus:sandbox.tiemoutSeconds"],
    ["the sandbox section as a list", { "flow-nexus:sandbox": ["node"] }, "flow-nexus:sandbox"],
    // storage
    ["a bucket name Supabase refuses", withIn("storage", { bucket: "Bad_Bucket!" }), "flow-nexus:storage.bucket"],
    ["a size limit of 0", withIn("storage", { fileSizeLimit: 0 }), "flow-nexus:storage.fileSizeLimit"],
    ["MIME types as one string", withIn("storage", { allowedMimeTypes: "image/png" }), "flow-nexus:storage.allowedMimeTypes"],
    ["a MIME type without a slash", withIn("storage", { allowedMimeTypes: ["png"] }), "flow-nexus:storage.allowedMimeTypes[0]"],
    ["public as yes", withIn("storage", { public: "yes" }), "flow-nexus:storage.public"],
    ["a typo in a storage setting", withIn("storage", { bukcet: "assets" }), "flow-nexus:storage.bukcet"],
    ["the storage section as a string", { "flow-nexus:storage": "platform-assets" }, "flow-nexus:storage"],
    // database
    ["a schema named pg_x", withIn("database", { schema: "pg_x" }), "flow-nexus:database.schema"],
    ["the platform's own schema", withIn("database", { schema: "flow_nexus" }), "flow-nexus:database.schema"],
    ["the public schema", withIn("database", { schema: "public" }), "flow-nexus:database.schema"],
    ["Supabase's auth schema", withIn("database", { schema: "auth" }), "flow-nexus:database.schema"],
    ["two migrations with one id", withIn("database", { migrations: [{ id: "001", sql: "select 1" }, { id: "001", sql: "select 2" }] }), "flow-nexus:database.migrations"],
    ["an empty migration", withIn("database", { migrations: [{ id: "001", sql: " " }] }), "flow-nexus:database.migrations[0].sql"],
    ["a migration without an id", withIn("database", { migrations: [{ sql: "select 1" }] }), "flow-nexus:database.migrations[0].id"],
    ["no migrations at all", withIn("database", { migrations: [] }), "flow-nexus:database.migrations"],
    ["migrations as an object", withIn("database", { migrations: { id: "001", sql: "select 1" } }), "flow-nexus:database.migrations"],
    ["migrations as a file name", file("stacks/migrations/001_init.sql"), "flow-nexus:database.migrations"],
    ["a typo in a section's name", { "flow-nexus:databse": { schema: "app" } }, "flow-nexus:databse"],
    // realtime
    ["a SELECT event", withIn("realtime", { events: ["SELECT"] }), "flow-nexus:realtime.events[0]"],
    ["no events", withIn("realtime", { events: [] }), "flow-nexus:realtime.events"],
    ["a filter without an operator", withIn("realtime", { filter: "room_id=42" }), "flow-nexus:realtime.filter"],
    ["a table name Postgres refuses", withIn("realtime", { table: "Bad-Table" }), "flow-nexus:realtime.table"],
    ["a typo in a realtime setting", withIn("realtime", { evnets: ["INSERT"] }), "flow-nexus:realtime.evnets"],
    // app
    ["a privileged port", withIn("app", { port: 80 }), "flow-nexus:app.port"],
    ["a port fetch refuses", withIn("app", { port: 6000 }), "flow-nexus:app.port"],
    ["PORT in the app's env", withIn("app", { env: { PORT: "8080" } }), "flow-nexus:app.env"],
    ["an app directory that is not there", withIn("app", { template: undefined, directory: "no/such/app" }), "flow-nexus:app.directory"],
    ["both a template and a directory", withIn("app", { directory: "templates/node-http" }), "flow-nexus:app.directory"],
    ["a health path without a slash", withIn("app", { healthPath: "health" }), "flow-nexus:app.healthPath"],
    ["a health timeout of 1 s", withIn("app", { healthTimeoutSeconds: 1 }), "flow-nexus:app.healthTimeoutSeconds"],
    ["an unknown app template", withIn("app", { template: "rails" }), "flow-nexus:app.template"],
    ["a typo in an app setting", withIn("app", { startComand: "node x.js" }), "flow-nexus:app.startComand"],
    // monitoring
    ["an interval of 0", withIn("monitoring", { intervalSeconds: 0 }), "flow-nexus:monitoring.intervalSeconds"],
    ["0 failures before an alert", withIn("monitoring", { consecutiveFailures: 0 }), "flow-nexus:monitoring.consecutiveFailures"],
    ["a latency given as text", withIn("monitoring", { latencyMs: "fast" }), "flow-nexus:monitoring.latencyMs"],
    ["an SMS alert", withIn("monitoring", { alerts: [{ type: "sms", to: "+100" }] }), "flow-nexus:monitoring.alerts[0].type"],
    ["a typo in a webhook alert", withIn("monitoring", { alerts: [{ type: "webhook", url: "https://example.com", ulr: "x" }] }), "flow-nexus:monitoring.alerts[0].ulr"],
    ["a relative alert file", withIn("monitoring", { alerts: [{ type: "file", path: "alerts.log" }] }), "flow-nexus:monitoring.alerts[0].path"],
    ["restartOnFailure as yes", withIn("monitoring", { restartOnFailure: "yes" }), "flow-nexus:monitoring.restartOnFailure"],
    // billing
    ["a refill of 3 USD", withIn("billing", { refillAmountUsd: 3 }), "flow-nexus:billing.refillAmountUsd"],
    ["a refill in tenths of cents", withIn("billing", { refillAmountUsd: 10.001 }), "flow-nexus:billing.refillAmountUsd"],
    ["a monthly limit below one refill", withIn("billing", { monthlyLimitUsd: 6 }), "flow-nexus:billing.monthlyLimitUsd"],
    ["a negative threshold", withIn("billing", { thresholdCredits: -1 }), "flow-nexus:billing.thresholdCredits"],
    ["fractional initial credits", withIn("billing", { initialCredits: 1.5 }), "flow-nexus:billing.initialCredits"],
    ["enabled set to null", withIn("billing", { enabled: null }), "flow-nexus:billing.enabled"],
    ["a typo in a billing setting", withIn("billing", { monthlyLimitUSD: 50 }), "flow-nexus:billing.monthlyLimitUSD"],
    // backends and the namespace
    ["a backend that is not one", { "flow-nexus:backends": { sandbox: "aws" } }, "flow-nexus:backends.sandbox"],
    ["a service that is not one", { "flow-nexus:backends": { queue: "cloud" } }, "flow-nexus:backends.queue"],
    ["the backends as a string", { "flow-nexus:backends": "cloud" }, "flow-nexus:backends"],
    ["a key of the namespace that is not one", { "flow-nexus:sandboxes": { template: "node" } }, "flow-nexus:sandboxes"],
];

describe("unit: bad stack configs stop the program with one line naming the key", function () {
    before(function () {
        pulumi.runtime.setMocks(
            {
                newResource(args) {
                    registered++;
                    return { id: `${args.name}-id`, state: args.inputs };
                },
                call: (args) => args.inputs,
            },
            "flow-nexus",
            "badconfig",
            true,
        );
    });

    it("the dev stack's own config passes", async function () {
        assert.equal(await run(devConfig()), undefined);
    });

    it(`${CASES.length} bad configs, every section`, async function () {
        assert.ok(CASES.length >= 40);
        const wrong: string[] = [];
        for (const [what, edit, key] of CASES) {
            registered = 0;
            const message = await run({ ...devConfig(), ...edit });
            const line = message?.replace(/^invalid stack config: /, "");
            if (message === undefined) wrong.push(`${what}: the program ran`);
            else if (message.includes("\n")) wrong.push(`${what}: more than one line:\n${message}`);
            else if (!line!.startsWith(`${key} `)) wrong.push(`${what}: does not name ${key}: ${message}`);
            else if (registered > 0) wrong.push(`${what}: ${registered} resources were registered`);
        }
        assert.deepEqual(wrong, []);
    });

    it("says what is allowed, and the nearest setting for a typo", async function () {
        const said = async (edit: Edit) => (await run({ ...devConfig(), ...edit }))?.replace(/^invalid stack config: /, "");
        assert.equal(await said(withIn("sandbox", { tiemoutSeconds: 600 })), "flow-nexus:sandbox.tiemoutSeconds is not a setting (did you mean timeoutSeconds?)");
        assert.equal(await said({ "flow-nexus:databse": { schema: "app" } }), "flow-nexus:databse is not a setting (did you mean database?)");
        assert.equal(await said(withIn("sandbox", { timeoutSeconds: null })), "flow-nexus:sandbox.timeoutSeconds is null: set a value, or remove the key to use its default");
        assert.equal(await said({ "flow-nexus:password": "short" }), "flow-nexus:password must be 12 to 72 characters");
        assert.equal(
            await said(withIn("database", { migrations: [{ id: "001", sql: "select 1" }, { id: "001", sql: "select 2" }] })),
            "flow-nexus:database.migrations has two migrations with id 001: ids must be unique",
        );
    });
});
