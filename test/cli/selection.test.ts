/** What cleanup calls an orphan, which audit rows match, which review stacks are pruned. */
import { strict as assert } from "assert";
import type { AuditRecord } from "../../cli/backends/types";
import { classify, FoundObject, orphanLeases, RESOURCE_TYPE } from "../../cli/cleanup/orphans";
import type { StackState } from "../../cli/engine";
import { filterAudit, resourceName, selectPrunable } from "../../cli/filters";

const URN = {
    sandbox: "urn:pulumi:dev::flow-nexus::flownexus:platform:FlowNexusPlatform$flownexus:services:Services$pulumi-nodejs:dynamic/flownexus:Sandbox::flow-nexus-services-sandbox",
    bucket: "urn:pulumi:dev::flow-nexus::flownexus:platform:FlowNexusPlatform$flownexus:services:Services$pulumi-nodejs:dynamic/flownexus:StorageBucket::flow-nexus-services-storage",
    app: "urn:pulumi:dev::flow-nexus::flownexus:platform:FlowNexusPlatform$flownexus:application:Application$pulumi-nodejs:dynamic/flownexus:Deployment::flow-nexus-application-deployment",
};

function found(kind: FoundObject["kind"], id: string, urn?: string, extra: Partial<FoundObject> = {}): FoundObject {
    return { kind, id, stack: "dev", urn, location: `/data/${id}`, pids: [], ...extra };
}

const STATE: StackState = {
    resources: [
        { urn: URN.sandbox, type: RESOURCE_TYPE.sandbox, id: "sbx-live" },
        { urn: URN.bucket, type: RESOURCE_TYPE.bucket, id: "platform-assets" },
        { urn: URN.app, type: RESOURCE_TYPE.app, id: "dep-live" },
    ],
    pending: [],
};

describe("cli: cleanup's orphans", function () {
    it("what the state holds (same URN, same id) is the stack's", function () {
        const verdicts = classify([found("sandbox", "sbx-live", URN.sandbox), found("bucket", "platform-assets", URN.bucket), found("database", "postgres")], STATE);
        assert.deepEqual(verdicts.map((v) => v.status), ["managed", "managed", "managed"]);
    });

    it("a second sandbox with the same URN, left by an interrupted replace, is an orphan", function () {
        const [v] = classify([found("sandbox", "sbx-left", URN.sandbox)], STATE);
        assert.equal(v.status, "orphan");
        assert.match(v.reason, /the stack's resource is now sbx-live: left by an interrupted replace or create/);
    });

    it("an object whose URN the state does not have, or with no tags, is an orphan", function () {
        const other = URN.sandbox.replace("flow-nexus-services-sandbox", "old-sandbox");
        const verdicts = classify([found("sandbox", "sbx-x", other), found("sandbox", "sbx-half")], STATE);
        assert.deepEqual(verdicts.map((v) => v.status), ["orphan", "orphan"]);
        assert.match(verdicts[0].reason, /not in the stack's state/);
        assert.match(verdicts[1].reason, /no lineage tags/);
    });

    it("an object a pending operation is creating is kept, with what to run; the one it replaces is still the stack's", function () {
        const state: StackState = { ...STATE, pending: [{ urn: URN.sandbox, type: RESOURCE_TYPE.sandbox, operation: "creating" }] };
        const [live, created] = classify([found("sandbox", "sbx-live", URN.sandbox), found("sandbox", "sbx-new", URN.sandbox)], state);
        assert.equal(live.status, "managed");
        assert.equal(created.status, "pending");
        assert.match(created.reason, /wait for it, or \(killed\) run flow-nexus recover/);
    });

    it("everything of a stack that no longer exists is an orphan, its database too", function () {
        const verdicts = classify([found("sandbox", "sbx-live", URN.sandbox), found("database", "postgres")], undefined);
        assert.deepEqual(verdicts.map((v) => [v.status, v.reason]), [
            ["orphan", "stack dev no longer exists"],
            ["orphan", "stack dev no longer exists"],
        ]);
    });

    it("the apps of an orphaned sandbox go with it and are not listed on their own", function () {
        const verdicts = classify([found("sandbox", "sbx-left", URN.sandbox), found("app", "dep-x", URN.app, { sandboxId: "sbx-left" }), found("app", "dep-live", URN.app, { sandboxId: "sbx-live" })], STATE);
        assert.deepEqual(verdicts.map((v) => `${v.object.kind} ${v.object.id} ${v.status}`), ["sandbox sbx-left orphan", "app dep-live managed"]);
    });

    it("database leases no resource and no pending operation holds are released", function () {
        const state: StackState = { ...STATE, pending: [{ urn: URN.bucket, type: RESOURCE_TYPE.bucket, operation: "updating" }] };
        const held = [`${URN.sandbox}#sbx-live`, `${URN.bucket}#creating-1a2b3c`, `${URN.app}#dep-live`];
        const orphans = [`${URN.sandbox}#sbx-left`, `${URN.sandbox}#creating-4d5e6f`, "urn:pulumi:dev::flow-nexus::gone"];
        assert.deepEqual(orphanLeases([...held, ...orphans], state), orphans);
        // Stacks made before leases named the id hold the URN alone.
        assert.deepEqual(orphanLeases([URN.sandbox, "urn:gone"], state), ["urn:gone"]);
        assert.deepEqual(orphanLeases([`${URN.sandbox}#sbx-live`], undefined), [`${URN.sandbox}#sbx-live`]);
    });
});

describe("cli: audit filters", function () {
    const row = (at: string, urn: string, type: string): AuditRecord => ({ at: new Date(at), stack: "dev", urn, type, action: "create", changed: [] });
    const rows = [row("2025-06-01T10:00:00Z", URN.sandbox, "Sandbox"), row("2025-06-01T11:00:00Z", URN.bucket, "StorageBucket"), row("2025-06-01T12:00:00Z", URN.app, "Deployment")];

    it("by resource name or URN substring, or by type, case-insensitive", function () {
        assert.deepEqual(filterAudit(rows, { resource: "flow-nexus-services-storage" }).map((r) => r.type), ["StorageBucket"]);
        assert.deepEqual(filterAudit(rows, { resource: "deployment" }).map((r) => r.type), ["Deployment"]);
        assert.deepEqual(filterAudit(rows, { resource: "services" }).map((r) => r.type), ["Sandbox", "StorageBucket"]);
    });

    it("by time: at or after --since", function () {
        assert.deepEqual(filterAudit(rows, { since: new Date("2025-06-01T11:00:00Z") }).map((r) => r.type), ["StorageBucket", "Deployment"]);
        assert.equal(resourceName(URN.app), "flow-nexus-application-deployment");
    });
});

describe("cli: stacks prune selection", function () {
    const now = new Date("2025-06-10T00:00:00Z");
    const stacks = [
        { name: "dev", lastUpdate: "2025-01-01T00:00:00Z" },
        { name: "review-12", lastUpdate: "2025-06-01T00:00:00Z" },
        { name: "review-13", lastUpdate: "2025-06-09T00:00:00Z" },
        { name: "org/flow-nexus/review-9", lastUpdate: "2025-05-01T00:00:00Z" },
        { name: "review-14" },
    ];

    it("prunes stacks with the prefix older than the age, oldest first; never other stacks", function () {
        const { prune, keep } = selectPrunable(stacks, { prefix: "review-", olderThanMs: 7 * 86_400_000, now });
        assert.deepEqual(prune.map((p) => p.name), ["org/flow-nexus/review-9", "review-12"]);
        assert.deepEqual(keep, [
            { name: "review-13", reason: "updated recently" },
            { name: "review-14", reason: "no last update recorded" },
        ]);
    });
});
