/** The platform's documents, rendered from a fixed set of outputs. */
import { strict as assert } from "assert";
import { renderDocs, renderedFrom } from "../../cli/docs/render";
import type { StackOutputs } from "../../cli/outputs";

const OUTPUTS: StackOutputs = {
    userId: "0b7c6f5e-1d2a-4c3b-9e8f-7a6b5c4d3e2f",
    userProfile: { id: "0b7c6f5e-1d2a-4c3b-9e8f-7a6b5c4d3e2f", email: "ada@example.com", fullName: "Ada Lovelace", createdAt: "2025-06-01T10:00:00.000Z", metadata: {} },
    platformSettings: {
        project: "flow-nexus",
        stack: "staging",
        backends: { auth: "local", database: "local", sandbox: "local", storage: "local" },
        sandboxTemplate: "node",
        bucket: "platform-assets",
        schema: "app",
    },
    sandboxId: "sbx-0123456789ab",
    subscriptionId: "sub-ba9876543210",
    schema: { name: "app", version: "002_usage", applied: ["001_init", "002_usage"], checksum: "c1d0" },
    bucket: { id: "platform-assets", url: "file:///data/storage/platform-assets/objects" },
    deploymentId: "dep-aaaabbbbcccc",
    app: { url: "http://127.0.0.1:40001", healthUrl: "http://127.0.0.1:40001/health", status: "healthy", sourceHash: "8aa7" },
    monitoring: { monitorId: "mon-111122223333", status: "active", intervalSeconds: 30, thresholds: { consecutiveFailures: 3, latencyMs: 2000 }, alerts: ["file"] },
    balance: { credits: 100, autoRefill: "enabled", thresholdCredits: 50, monthlyLimitUsd: 50, monthlySpentUsd: 10 },
    phase1Complete: true,
    phase2Complete: true,
    phase3Complete: true,
    phase4Complete: false,
    phase5Complete: true,
    workflowComplete: false,
};

describe("cli: renderDocs", function () {
    const docs = renderDocs(OUTPUTS, "staging");

    it("renders the five documents of the process", function () {
        assert.deepEqual(Object.keys(docs), ["AUTHENTICATION.md", "ARCHITECTURE.md", "DEPLOYMENT.md", "OPERATIONS.md", "BILLING.md"]);
        for (const [name, text] of Object.entries(docs)) assert.match(text, /^# \w+: stack `staging`\n/, name);
    });

    it("AUTHENTICATION.md shows the account, never the password, and the phase 1 gate", function () {
        const text = docs["AUTHENTICATION.md"];
        assert.match(text, /\| user id \(`flow-nexus\/user-id`\) \| `0b7c6f5e-1d2a-4c3b-9e8f-7a6b5c4d3e2f` \|/);
        assert.match(text, /\| email \| `ada@example\.com` \|/);
        assert.match(text, /Phase 1 gate at the last `up`: \*\*passed\*\* \(`phase1Complete: true`\)/);
        assert.match(text, /a row of `flow_nexus\.users`/);
        assert.match(text, /"sandboxTemplate": "node"/);
    });

    it("ARCHITECTURE.md lists every service with its backend and identity", function () {
        const text = docs["ARCHITECTURE.md"];
        assert.match(text, /\| sandbox \| local \| Sandbox \| `sbx-0123456789ab` \(template `node`\) \|/);
        assert.match(text, /\| storage \| local \| StorageBucket \| `platform-assets` at `file:\/\/\/data\/storage\/platform-assets\/objects` \|/);
        assert.match(text, /\| realtime \| local \| RealtimeSubscription \| `sub-ba9876543210` \|/);
        assert.match(text, /\| applied migrations \| `001_init`, `002_usage` \|/);
    });

    it("DEPLOYMENT.md, OPERATIONS.md and BILLING.md show their outputs and gates", function () {
        assert.match(docs["DEPLOYMENT.md"], /\| health check \| `http:\/\/127\.0\.0\.1:40001\/health` \|/);
        assert.match(docs["DEPLOYMENT.md"], /flow-nexus logs app --stack staging/);
        assert.match(docs["OPERATIONS.md"], /Phase 4 gate at the last `up`: \*\*NOT passed\*\* \(`phase4Complete: false`\)/);
        assert.match(docs["OPERATIONS.md"], /\| probe interval \(seconds\) \| `30` \|/);
        assert.match(docs["BILLING.md"], /\| monthly limit \| \$50\.00 \|/);
        assert.match(docs["BILLING.md"], /\| spent this month \| \$10\.00 \|/);
        assert.match(docs["BILLING.md"], /Whole workflow at the last `up`: \*\*NOT passed\*\* \(`workflowComplete: false`\)/);
    });

    it("each document ends with exactly the outputs it was rendered from", function () {
        assert.deepEqual(renderedFrom(docs["DEPLOYMENT.md"]), { deploymentId: OUTPUTS.deploymentId, app: OUTPUTS.app, sandboxId: OUTPUTS.sandboxId, phase3Complete: true });
        assert.deepEqual(renderedFrom(docs["BILLING.md"]), { userId: OUTPUTS.userId, balance: OUTPUTS.balance, phase5Complete: true, workflowComplete: false });
    });

    it("the same outputs give the same bytes (no clock in the documents)", function () {
        assert.deepEqual(renderDocs(structuredClone(OUTPUTS), "staging"), docs);
    });

    it("a part of the platform that is not deployed says so instead of failing", function () {
        const partial = renderDocs({ userId: "u-1", phase1Complete: true }, "mini");
        assert.match(partial["DEPLOYMENT.md"], /\| deployment id \(`flow-nexus\/deployment-id`\) \| _not deployed_ \|/);
        assert.match(partial["OPERATIONS.md"], /Phase 4 gate at the last `up`: not recorded/);
        assert.deepEqual(renderedFrom(partial["DEPLOYMENT.md"]), {});
    });
});
