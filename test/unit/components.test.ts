/**
 * The components under Pulumi's mocks: what they register, with which
 * inputs and parents, and the phase completeness they derive.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { PROVIDER } from "../../providers/runtime/resource";

type Registered = { type: string; name: string; inputs: Record<string, any> };
const registered: Registered[] = [];

describe("unit: components under Pulumi's mocks", function () {
    let platform: typeof import("../../components");

    before(async function () {
        pulumi.runtime.setMocks(
            {
                newResource(args) {
                    registered.push({ type: args.type, name: args.name, inputs: args.inputs });
                    const outs: Record<string, unknown> = { ...args.inputs };
                    if (args.type.endsWith("PlatformUser")) Object.assign(outs, { userId: "u1", profile: { id: "u1", email: args.inputs.email } });
                    if (args.type.endsWith("Sandbox")) Object.assign(outs, { sandboxId: "sbx-1", status: "running", allocatedPorts: [8080] });
                    if (args.type.endsWith("Deployment")) Object.assign(outs, { deploymentId: "dep-1", url: "http://127.0.0.1:8080", healthUrl: "http://127.0.0.1:8080/health", status: "healthy" });
                    if (args.type.endsWith("Monitor")) Object.assign(outs, { monitorId: "mon-1", status: "active" });
                    if (args.type.endsWith("AutoRefill")) Object.assign(outs, { status: "enabled", balance: 100, creditsPerSandboxHour: 1 });
                    if (args.type.endsWith("StorageBucket")) Object.assign(outs, { bucketId: args.inputs.name });
                    if (args.type.endsWith("DatabaseSchema")) Object.assign(outs, { applied: args.inputs.migrations.map((m: { id: string }) => m.id) });
                    if (args.type.endsWith("RealtimeSubscription")) Object.assign(outs, { subscriptionId: "sub-1", active: true });
                    return { id: `${args.name}-id`, state: outs };
                },
                call: (args) => args.inputs,
            },
            "flow-nexus",
            "unit",
            false,
        );
        platform = await import("../../components");
    });

    function newPlatform(name: string) {
        const backend = { kind: "local" as const, dataDir: "/tmp/unused" };
        return new platform.FlowNexusPlatform(name, {
            identity: { email: "a@example.com", password: "x".repeat(12), settings: { stack: "unit" } },
            services: {
                sandbox: { template: "node" },
                storage: { name: `${name}-assets` },
                database: { schema: "app", migrations: [{ id: "001", sql: "select 1" }] },
                realtime: { table: "messages" },
            },
            application: { source: { template: "node-http" }, healthPath: "/health" },
            operations: { alerts: [{ type: "file", path: "/tmp/unused/alerts.jsonl" }] },
            billing: { thresholdCredits: 50, monthlyLimitUsd: 50, initialCredits: 100 },
            backends: { auth: backend, sandbox: backend, storage: backend, database: backend, payments: backend },
        });
    }

    it("registers every phase's resources under names derived from the platform's", async function () {
        const p = newPlatform("alpha");
        await new Promise<void>((resolve) => p.operations.complete.apply(() => resolve()));
        const names = registered.filter((r) => r.name.startsWith("alpha")).map((r) => `${r.type} ${r.name}`);
        assert.deepEqual(names.sort(), [
            "flownexus:application:Application alpha-application",
            "flownexus:billing:Billing alpha-billing",
            "flownexus:identity:Identity alpha-identity",
            "flownexus:operations:Operations alpha-operations",
            "flownexus:platform:FlowNexusPlatform alpha",
            "flownexus:services:Services alpha-services",
            "pulumi-nodejs:dynamic/flownexus:AutoRefill alpha-billing-auto-refill",
            "pulumi-nodejs:dynamic/flownexus:DataGuard alpha-data-guard",
            "pulumi-nodejs:dynamic/flownexus:DatabaseSchema alpha-services-schema",
            "pulumi-nodejs:dynamic/flownexus:Deployment alpha-application-deployment",
            "pulumi-nodejs:dynamic/flownexus:Monitor alpha-operations-monitor",
            "pulumi-nodejs:dynamic/flownexus:PlatformUser alpha-identity-user",
            "pulumi-nodejs:dynamic/flownexus:RealtimeSubscription alpha-services-realtime",
            "pulumi-nodejs:dynamic/flownexus:Sandbox alpha-services-sandbox",
            "pulumi-nodejs:dynamic/flownexus:StorageBucket alpha-services-storage",
        ]);
    });

    it("publishes the realtime table through the schema it lives in", async function () {
        const subscription = registered.find((r) => r.name === "alpha-services-realtime");
        assert.equal(subscription?.inputs.table, "app.messages");
    });

    it("bills the sandbox and the app to the user's account", async function () {
        const refill = registered.find((r) => r.name === "alpha-billing-auto-refill");
        assert.equal(refill?.inputs.account, "u1");
        for (const name of ["alpha-services-sandbox", "alpha-application-deployment"]) {
            assert.deepEqual(registered.find((r) => r.name === name)?.inputs.billing, { account: "u1", creditsPerHour: 1 }, name);
        }
    });

    it("deploys into the sandbox on its first port, and watches the app's health URL", async function () {
        const deployment = registered.find((r) => r.name === "alpha-application-deployment");
        assert.deepEqual([deployment?.inputs.sandboxId, deployment?.inputs.port], ["sbx-1", 8080]);
        const monitor = registered.find((r) => r.name === "alpha-operations-monitor");
        assert.deepEqual(monitor?.inputs.targets, [{ name: "app", url: "http://127.0.0.1:8080/health", deploymentId: "dep-1", sandboxId: "sbx-1" }]);
    });

    it("links the app to the platform's schema, bucket, subscription and user, by their attributes", function () {
        const deployment = registered.find((r) => r.name === "alpha-application-deployment");
        assert.deepEqual(
            deployment?.inputs.links.map((l: { type: string; name: string }) => `${l.type} ${l.name}`),
            ["DatabaseSchema alpha-services-schema", "StorageBucket alpha-services-storage", "RealtimeSubscription alpha-services-realtime", "PlatformUser alpha-identity-user"],
        );
        assert.equal(deployment?.inputs.links[2].table, "app.messages");
        assert.equal(deployment?.inputs.links[3].userId, "u1");
    });

    it("lets two platforms live side by side", function () {
        assert.doesNotThrow(() => newPlatform("beta"));
    });

    it("derives phase completeness from the resources' state", async function () {
        const p = newPlatform("gamma");
        const phases = await Promise.all(
            [p.identity.complete, p.services.complete, p.application.complete, p.operations.complete, p.billing.complete, p.workflowComplete].map(
                (complete) => new Promise((resolve) => complete.apply(resolve)),
            ),
        );
        assert.deepEqual(phases, [true, true, true, true, true, true]);
    });

    it("every resource stores the same one-line provider, and constructing them leaves Error.stackTraceLimit as it was", async function () {
        const limit = Error.stackTraceLimit;
        const p = newPlatform("delta");
        assert.equal(Error.stackTraceLimit, limit);
        await new Promise<void>((resolve) => p.operations.complete.apply(() => resolve()));
        const dynamic = registered.filter((r) => r.name.startsWith("delta") && r.type.startsWith("pulumi-nodejs:dynamic/flownexus:"));
        assert.equal(dynamic.length, 9);
        assert.deepEqual([...new Set(dynamic.map((r) => r.inputs.__provider))], [PROVIDER]);
    });

    it("phase 2 is incomplete while a migration is unapplied or realtime is inactive", function () {
        const state = { sandboxStatus: "running", bucketId: "b", migrations: ["1", "2"], applied: ["1", "2"], realtimeActive: true };
        assert.equal(platform.servicesComplete(state), true);
        assert.equal(platform.servicesComplete({ ...state, applied: ["1"] }), false);
        assert.equal(platform.servicesComplete({ ...state, realtimeActive: false }), false);
        assert.equal(platform.servicesComplete({ ...state, sandboxStatus: "paused" }), false);
        assert.equal(platform.identityComplete("u1", { id: "u1", email: "a@b.c", fullName: "", metadata: {}, createdAt: "" }, {}), false);
        assert.equal(platform.applicationComplete("healthy", ""), false, "no health check declared");
        assert.equal(platform.operationsComplete("active", []), false, "no alert channel");
    });
});
