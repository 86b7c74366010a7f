/**
 * The phase gates as stack policies: a healthy platform passes each gate,
 * and breaking one phase fails that phase's gate with what is wrong.
 */
import { strict as assert } from "assert";
import * as http from "http";
import type { AddressInfo } from "net";
import { phase1Gate, phase2Gate, phase3Gate, phase4Gate, phase5Gate } from "../../policies/gates";
import { resource, stackViolations } from "./support";

describe("policies: the phase gates", function () {
    let server: http.Server;
    let healthStatus = 200;
    let healthUrl: string;

    before(async function () {
        server = http.createServer((_req, res) => {
            res.statusCode = healthStatus;
            res.end();
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        healthUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
    });
    after(async function () {
        await new Promise((resolve) => server.close(resolve));
    });

    /** A whole, healthy platform; `breaks` replaces props of one resource by name. */
    function platform(breaks: Record<string, Record<string, unknown>> = {}) {
        const props = (name: string, base: Record<string, unknown>) => ({ ...base, ...breaks[name] });
        const user = resource("PlatformUser", "user", props("user", { userId: "u1", profile: { id: "u1", email: "a@b.c" } }));
        const sandbox = resource("Sandbox", "sandbox", props("sandbox", { status: "running" }));
        const bucket = resource("StorageBucket", "storage", props("storage", { bucketId: "assets" }));
        const schema = resource("DatabaseSchema", "schema", props("schema", { migrations: [{ id: "001" }, { id: "002" }], applied: ["001", "002"] }));
        const realtime = resource("RealtimeSubscription", "realtime", props("realtime", { table: "app.messages", active: true }), { table: [schema] });
        const deployment = resource("Deployment", "app", props("app", { status: "healthy", healthPath: "/health", healthUrl }), { sandboxId: [sandbox] });
        const monitor = resource("Monitor", "monitor", props("monitor", { status: "active", alerts: [{ type: "file", path: "/x" }] }), { targets: [deployment] });
        const refill = resource("AutoRefill", "refill", props("refill", { status: "enabled", monthlyLimitUsd: 50, balance: 100 }));
        return [user, sandbox, bucket, schema, realtime, deployment, monitor, refill];
    }

    it("a healthy platform passes every gate", async function () {
        for (const gate of [phase1Gate, phase2Gate, phase3Gate, phase4Gate, phase5Gate]) {
            assert.deepEqual(await stackViolations(gate, platform()), [], gate.name);
        }
    });

    it("a value preview does not know yet stops the gate as not run, never as passed", async function () {
        const { UnknownValueError } = require("@pulumi/policy/proxy");
        for (const [gate, breaks] of [
            [phase2Gate, { storage: { bucketId: undefined } }],
            [phase3Gate, { app: { status: undefined } }],
            [phase5Gate, { refill: { balance: undefined } }],
        ] as const) {
            await assert.rejects(stackViolations(gate, platform(breaks)), (err: Error) => {
                assert.ok(err instanceof UnknownValueError, gate.name);
                assert.match(err.message, /is not known until the update runs$/);
                return true;
            });
        }
    });

    it("phase 1 fails without a registered user", async function () {
        assert.deepEqual(await stackViolations(phase1Gate, platform({ user: { userId: "", profile: {} } })), [
            "phase 1 (authentication): PlatformUser user is not registered: it has no user id and profile.",
        ]);
        assert.deepEqual(await stackViolations(phase1Gate, []), ["phase 1 (authentication): no PlatformUser: the platform needs its account"]);
    });

    it("phase 2 fails on a stopped sandbox, an unapplied migration or inactive realtime", async function () {
        assert.deepEqual(
            await stackViolations(phase2Gate, platform({ sandbox: { status: "paused" }, schema: { applied: ["001"] }, realtime: { active: false } })),
            [
                "phase 2 (configure services): Sandbox sandbox is paused, not running.",
                "phase 2 (configure services): DatabaseSchema schema has unapplied migrations: 002.",
                "phase 2 (configure services): RealtimeSubscription realtime is not active: app.messages is not in the supabase_realtime publication, or a probe change did not come back through realtime (flow-nexus status says which).",
            ],
        );
    });

    it("phase 2 fails when realtime is not wired to the schema", async function () {
        const resources = platform();
        resources[4] = resource("RealtimeSubscription", "realtime", { table: "app.messages", active: true });
        assert.deepEqual(await stackViolations(phase2Gate, resources), [
            "phase 2 (configure services): RealtimeSubscription realtime is not wired to a DatabaseSchema: take its table from the schema's output.",
        ]);
    });

    it("phase 3 asks the app itself: a health endpoint answering 500 fails the gate", async function () {
        healthStatus = 500;
        try {
            assert.deepEqual(await stackViolations(phase3Gate, platform()), [
                `phase 3 (deploy applications): Deployment app: GET ${healthUrl} answered 500, not 200.`,
            ]);
        } finally {
            healthStatus = 200;
        }
    });

    it("phase 3 fails for a deployment without a health check or outside the stack's sandbox", async function () {
        const resources = platform({ app: { healthPath: undefined, healthUrl: "" } });
        resources[5] = resource("Deployment", "app", resources[5].props);
        assert.deepEqual(await stackViolations(phase3Gate, resources), [
            "phase 3 (deploy applications): Deployment app is not deployed into a Sandbox of this stack.",
            "phase 3 (deploy applications): Deployment app declares no health check (healthPath).",
        ]);
    });

    it("phase 4 fails without an alert channel or with a stopped watchdog", async function () {
        assert.deepEqual(await stackViolations(phase4Gate, platform({ monitor: { alerts: [], status: "stopped" } })), [
            "phase 4 (manage operations): Monitor monitor has no alert channel.",
            "phase 4 (manage operations): Monitor monitor is stopped: its watchdog does not run.",
        ]);
    });

    it("phase 5 fails without a monthly limit or a tracked balance", async function () {
        assert.deepEqual(await stackViolations(phase5Gate, platform({ refill: { monthlyLimitUsd: undefined, balance: null } })), [
            "phase 5 (handle payments): AutoRefill refill has no monthly limit.",
            "phase 5 (handle payments): AutoRefill refill reports no balance: usage is not tracked.",
        ]);
    });
});
