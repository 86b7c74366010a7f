/**
 * The components under Pulumi's mocks: what they register, with which
 * inputs and parents, and the phase completeness they derive.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";

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
                    if (args.type.endsWith("Sandbox")) Object.assign(outs, { sandboxId: "sbx-1", status: "running" });
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
            backend,
        });
    }

    it("registers every phase's resources under names derived from the platform's", async function () {
        const p = newPlatform("alpha");
        await new Promise<void>((resolve) => p.services.complete.apply(() => resolve()));
        const names = registered.filter((r) => r.name.startsWith("alpha")).map((r) => `${r.type} ${r.name}`);
        assert.deepEqual(names.sort(), [
            "flownexus:identity:Identity alpha-identity",
            "flownexus:platform:FlowNexusPlatform alpha",
            "flownexus:services:Services alpha-services",
            "pulumi-nodejs:dynamic/flownexus:DatabaseSchema alpha-services-schema",
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

    it("lets two platforms live side by side", function () {
        assert.doesNotThrow(() => newPlatform("beta"));
    });

    it("derives phase completeness from the resources' state", async function () {
        const p = newPlatform("gamma");
        const [one, two] = await Promise.all([
            new Promise((resolve) => p.identity.complete.apply(resolve)),
            new Promise((resolve) => p.services.complete.apply(resolve)),
        ]);
        assert.deepEqual([one, two], [true, true]);
    });

    it("phase 2 is incomplete while a migration is unapplied or realtime is inactive", function () {
        const state = { sandboxStatus: "running", bucketId: "b", migrations: ["1", "2"], applied: ["1", "2"], realtimeActive: true };
        assert.equal(platform.servicesComplete(state), true);
        assert.equal(platform.servicesComplete({ ...state, applied: ["1"] }), false);
        assert.equal(platform.servicesComplete({ ...state, realtimeActive: false }), false);
        assert.equal(platform.servicesComplete({ ...state, sandboxStatus: "paused" }), false);
        assert.equal(platform.identityComplete("u1", { id: "u1", email: "a@b.c", fullName: "", metadata: {}, createdAt: "" }, {}), false);
    });
});
