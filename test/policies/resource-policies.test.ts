/**
 * Every resource policy: valid arguments pass, and each mutation is reported
 * with a message that says what to change.
 */
import { strict as assert } from "assert";
import { autoRefillLimits } from "../../policies/billing";
import { deploymentHealthCheck } from "../../policies/deployment";
import { lineageTags } from "../../policies/lineage";
import { monitorAlertChannel } from "../../policies/monitor";
import { clampTimeout, sandboxTemplateAllowed, sandboxTimeoutBounds } from "../../policies/sandbox";
import { credentialPaths, credentialsAreSecrets } from "../../policies/secrets";
import { bucketSizeLimit, noPublicBucket } from "../../policies/storage";
import { secret, violations } from "./support";

const T = (name: string) => `pulumi-nodejs:dynamic/flownexus:${name}`;
const tags = (name: string) => ({
    "flow-nexus:project": "flow-nexus",
    "flow-nexus:stack": "test",
    "flow-nexus:urn": `urn:pulumi:test::flow-nexus::x::${name}`,
});

const sandbox = { template: "node", timeoutSeconds: 3600, envs: { NODE_ENV: "development" }, tags: tags("sbx") };
const bucket = { name: "assets", public: false, fileSizeLimit: 1024, tags: tags("bucket") };
const deployment = { sandboxId: "sbx-1", port: 8080, healthPath: "/health", env: {}, tags: tags("app") };
const monitor = { targets: [{ name: "app", url: "http://127.0.0.1:8080/health" }], alerts: [{ type: "webhook", url: "https://hooks.example.com/x" }], tags: tags("mon") };
const refill = { account: "u1", enabled: true, thresholdCredits: 20, refillAmountUsd: 10, monthlyLimitUsd: 50, tags: tags("refill") };

describe("policies: sandbox-timeout-bounds", function () {
    it("passes a timeout within bounds", async function () {
        assert.deepEqual(await violations(sandboxTimeoutBounds, T("Sandbox"), "sbx", sandbox), []);
    });
    it("reports a timeout above maxSeconds, naming the config key", async function () {
        assert.deepEqual(await violations(sandboxTimeoutBounds, T("Sandbox"), "sbx", sandbox, { maxSeconds: 1800 }), [
            "Sandbox sbx times out after 3600 s: set timeoutSeconds between 60 and 1800 (flow-nexus:sandbox.timeoutSeconds).",
        ]);
    });
    it("remediation clamps into the bounds", function () {
        assert.equal(clampTimeout(7200, { minSeconds: 60, maxSeconds: 3600 }), 3600);
        assert.equal(clampTimeout(10, { minSeconds: 60, maxSeconds: 3600 }), 60);
        assert.equal(clampTimeout(600, { minSeconds: 60, maxSeconds: 3600 }), 600);
    });
    it("ignores other resource types", async function () {
        assert.deepEqual(await violations(sandboxTimeoutBounds, T("StorageBucket"), "b", { timeoutSeconds: 1 }), []);
    });
});

describe("policies: sandbox-template-allowed", function () {
    it("passes an allowed template", async function () {
        assert.deepEqual(await violations(sandboxTemplateAllowed, T("Sandbox"), "sbx", sandbox), []);
    });
    it("reports a template outside the allow-list", async function () {
        assert.deepEqual(await violations(sandboxTemplateAllowed, T("Sandbox"), "sbx", sandbox, { allowedTemplates: ["python"] }), [
            "Sandbox sbx uses template node: use one of python.",
        ]);
    });
});

describe("policies: no-public-bucket", function () {
    it("passes a private bucket", async function () {
        assert.deepEqual(await violations(noPublicBucket, T("StorageBucket"), "b", bucket), []);
    });
    it("reports a public bucket", async function () {
        assert.deepEqual(await violations(noPublicBucket, T("StorageBucket"), "b", { ...bucket, public: true }), [
            'bucket assets is public: set public: false, or add "assets" to allowedPublicBuckets in the policy config.',
        ]);
    });
    it("passes a public bucket named in allowedPublicBuckets", async function () {
        assert.deepEqual(await violations(noPublicBucket, T("StorageBucket"), "b", { ...bucket, public: true }, { allowedPublicBuckets: ["assets"] }), []);
    });
});

describe("policies: bucket-size-limit", function () {
    it("passes a limit under the maximum", async function () {
        assert.deepEqual(await violations(bucketSizeLimit, T("StorageBucket"), "b", bucket), []);
    });
    it("reports a limit over the maximum", async function () {
        assert.deepEqual(await violations(bucketSizeLimit, T("StorageBucket"), "b", { ...bucket, fileSizeLimit: 10_000 }, { maxFileSizeLimit: 5000 }), [
            "bucket assets allows 10000-byte objects: set fileSizeLimit to at most 5000.",
        ]);
    });
    it("reports a bucket without a limit", async function () {
        const { fileSizeLimit: _, ...noLimit } = bucket;
        assert.deepEqual(await violations(bucketSizeLimit, T("StorageBucket"), "b", noLimit), [
            "bucket assets has no fileSizeLimit: set one of at most 52428800 bytes.",
        ]);
    });
});

describe("policies: credentials-are-secrets", function () {
    it("finds credentials by their property names, at any depth", function () {
        assert.deepEqual(credentialPaths({ password: "p", envs: { STRIPE_SECRET_KEY: "sk", NODE_ENV: "x", API_TOKEN: "" }, name: "n" }).known, [
            "password",
            "envs.STRIPE_SECRET_KEY",
        ]);
    });
    it("judges the known credentials of a preview and names the unknown ones", function () {
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const found = credentialPaths({ backend: unknown, envs: { STRIPE_API_KEY: "sk_live", DB_PASSWORD: unknown }, tags: unknown });
        assert.deepEqual(found, { known: ["envs.STRIPE_API_KEY"], unknown: [["envs", "DB_PASSWORD"]] });
    });
    it("passes credentials that arrive as secrets", async function () {
        const props = { ...sandbox, envs: { NODE_ENV: "development", STRIPE_SECRET_KEY: secret("sk_test_1") } };
        assert.deepEqual(await violations(credentialsAreSecrets, T("Sandbox"), "sbx", props), []);
        assert.deepEqual(await violations(credentialsAreSecrets, T("PlatformUser"), "u", { email: "a@b.c", password: secret("p"), tags: tags("u") }), []);
    });
    it("passes a map that is a secret as a whole", async function () {
        assert.deepEqual(await violations(credentialsAreSecrets, T("Sandbox"), "sbx", { ...sandbox, envs: secret({ API_KEY: "k" }) }), []);
    });
    it("reports a credential in plain text, saying how to make it a secret", async function () {
        const props = { ...sandbox, envs: { STRIPE_SECRET_KEY: "sk_test_1" } };
        assert.deepEqual(await violations(credentialsAreSecrets, T("Sandbox"), "sbx", props), [
            "Sandbox sbx: envs.STRIPE_SECRET_KEY holds a credential in plain text. Pass it as a secret: " +
                "`pulumi config set --secret <key> <value>` and config.requireSecret(), or pulumi.secret(value).",
        ]);
    });
});

describe("policies: deployment-health-check", function () {
    it("passes a deployment with a health path", async function () {
        assert.deepEqual(await violations(deploymentHealthCheck, T("Deployment"), "app", deployment), []);
    });
    it("reports a deployment without one", async function () {
        const { healthPath: _, ...none } = deployment;
        assert.deepEqual(await violations(deploymentHealthCheck, T("Deployment"), "app", none), [
            'Deployment app declares no health check: set healthPath (e.g. "/health", flow-nexus:app.healthPath) to a path that answers 200 when the app is healthy.',
        ]);
    });
});

describe("policies: monitor-alert-channel", function () {
    it("passes a monitor with an alert channel", async function () {
        assert.deepEqual(await violations(monitorAlertChannel, T("Monitor"), "mon", monitor), []);
    });
    it("reports a monitor without one", async function () {
        assert.deepEqual(await violations(monitorAlertChannel, T("Monitor"), "mon", { ...monitor, alerts: [] }), [
            'Monitor mon has no alert channel: add one to alerts (flow-nexus:monitoring.alerts), e.g. { type: "webhook", url: "https://..." }.',
        ]);
    });
});

describe("policies: auto-refill-limits", function () {
    it("passes a capped refill whose threshold one refill clears", async function () {
        assert.deepEqual(await violations(autoRefillLimits, T("AutoRefill"), "r", refill), []);
    });
    it("reports a refill without a monthly limit", async function () {
        const { monthlyLimitUsd: _, ...uncapped } = refill;
        assert.deepEqual(await violations(autoRefillLimits, T("AutoRefill"), "r", uncapped), [
            "AutoRefill r has no monthly limit: set monthlyLimitUsd (flow-nexus:billing.monthlyLimitUsd), at most $100.",
        ]);
    });
    it("reports a monthly limit above the configured maximum", async function () {
        assert.deepEqual(await violations(autoRefillLimits, T("AutoRefill"), "r", refill, { maxMonthlyLimitUsd: 40 }), [
            "AutoRefill r may spend $50 a month: set monthlyLimitUsd to at most $40.",
        ]);
    });
    it("reports a threshold that one refill does not clear", async function () {
        assert.deepEqual(await violations(autoRefillLimits, T("AutoRefill"), "r", { ...refill, thresholdCredits: 100 }), [
            "AutoRefill r refills below 100 credits, but one refill ($10) adds only 100: lower thresholdCredits below 100 or raise refillAmountUsd.",
        ]);
    });
});

describe("policies: lineage-tags", function () {
    it("passes a resource with its own lineage tags", async function () {
        assert.deepEqual(await violations(lineageTags, T("Sandbox"), "sbx", sandbox), []);
    });
    it("reports missing tags", async function () {
        assert.deepEqual(await violations(lineageTags, T("Sandbox"), "sbx", { ...sandbox, tags: { "flow-nexus:project": "p" } }), [
            "Sandbox sbx lacks the lineage tags flow-nexus:stack, flow-nexus:urn: create it through its flow-nexus resource class, which adds them.",
        ]);
    });
    it("reports another resource's URN", async function () {
        assert.deepEqual(await violations(lineageTags, T("Sandbox"), "other", sandbox), [
            "Sandbox other carries the URN tag of another resource: urn:pulumi:test::flow-nexus::x::sbx.",
        ]);
    });
});
