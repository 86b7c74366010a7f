/**
 * The flow-nexus program: the stack's config, one FlowNexusPlatform, and its
 * outputs under the names of the platform process's memory keys.
 */
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { FlowNexusPlatform } from "../components";
import { BackendRef } from "../providers/runtime/lineage";
import { ConfigError, platformConfig, RawConfig, Service, SERVICES } from "./config";
import { memoryKeys } from "./memory";

const config = new pulumi.Config("flow-nexus");

function readConfig(): RawConfig {
    const section = <K extends keyof RawConfig>(key: K) => config.getObject<RawConfig[K]>(key);
    return {
        user: section("user"),
        sandbox: section("sandbox"),
        storage: section("storage"),
        database: section("database"),
        realtime: section("realtime"),
        app: section("app"),
        monitoring: section("monitoring"),
        billing: section("billing"),
        backends: section("backends"),
    };
}

/** The stack's data folder: where every local backend keeps its state. */
const dataDir = path.resolve(__dirname, "..", ".flow-nexus", "stacks", pulumi.getStack());

let settings;
try {
    settings = platformConfig(readConfig(), {
        // The password stays wrapped as a secret: config checks that it is set,
        // the PlatformUser's check checks its length.
        passwordSet: config.getSecret("password") !== undefined,
        projectDir: path.resolve(__dirname, ".."),
        // Locally, alerts land in a file of the stack's data folder unless config names a webhook.
        defaultAlerts: [{ type: "file", path: path.join(dataDir, "alerts.jsonl") }],
    });
} catch (err) {
    // A RunError prints only its message: the list of bad keys.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
}

const backendOf = (service: Service): BackendRef =>
    settings.backends[service] === "cloud" ? { kind: "cloud" } : { kind: "local", dataDir };
const backends = Object.fromEntries(SERVICES.map((s) => [s, backendOf(s)])) as Record<Service, BackendRef>;

const platform = new FlowNexusPlatform("flow-nexus", {
    identity: {
        email: settings.user.email,
        password: config.requireSecret("password"),
        fullName: settings.user.fullName,
        metadata: settings.user.metadata,
        settings: {
            project: pulumi.getProject(),
            stack: pulumi.getStack(),
            backends: settings.backends,
            sandboxTemplate: settings.sandbox.template,
            bucket: settings.storage.name,
            schema: settings.database.schema,
        },
    },
    services: {
        sandbox: settings.sandbox,
        storage: settings.storage,
        database: settings.database,
        realtime: settings.realtime,
    },
    application: settings.app,
    operations: settings.monitoring,
    billing: settings.billing,
    backends,
});

const { identity, services, application, operations, billing } = platform;

export const userId = identity.userId;
export const userProfile = identity.profile;
export const platformSettings = identity.settings;
export const sandboxId = services.sandbox.sandboxId;
export const subscriptionId = services.subscription.subscriptionId;
export const schema = pulumi.all([services.schema.schema, services.schema.version, services.schema.applied, services.schema.checksum]).apply(
    ([name, version, applied, checksum]) => ({ name, version, applied, checksum }),
);
export const bucket = pulumi.all([services.bucket.bucketId, services.bucket.url]).apply(([id, url]) => ({ id, url }));
export const deploymentId = application.deployment.deploymentId;
export const app = pulumi
    .all([application.deployment.url, application.deployment.healthUrl, application.deployment.status, application.deployment.sourceHash])
    .apply(([url, healthUrl, status, sourceHash]) => ({ url, healthUrl, status, sourceHash }));
export const monitoring = pulumi
    .all([operations.monitor.monitorId, operations.monitor.status, operations.monitor.intervalSeconds, operations.monitor.thresholds, operations.monitor.alerts])
    .apply(([monitorId, status, intervalSeconds, thresholds, alerts]) => ({
        monitorId,
        status,
        intervalSeconds,
        thresholds,
        alerts: alerts.map((a) => a.type),
    }));
export const phase1Complete = identity.complete;
export const phase2Complete = services.complete;
export const phase3Complete = application.complete;
export const balance = pulumi
    .all([billing.autoRefill.balance, billing.autoRefill.status, billing.autoRefill.thresholdCredits, billing.autoRefill.monthlyLimitUsd, billing.autoRefill.monthlySpentUsd])
    .apply(([credits, autoRefill, thresholdCredits, monthlyLimitUsd, monthlySpentUsd]) => ({
        credits,
        autoRefill,
        thresholdCredits,
        monthlyLimitUsd,
        monthlySpentUsd,
    }));
export const phase4Complete = operations.complete;
export const phase5Complete = billing.complete;
export const workflowComplete = platform.workflowComplete;

/** The same values under the exact memory-key strings: `pulumi stack output memory --json`. */
export const memory = memoryKeys({
    userId,
    userProfile,
    config: platformSettings,
    sandboxId,
    subscriptionId,
    schema,
    deploymentId,
    app,
    monitoring,
    phase1Complete,
    phase2Complete,
    balance,
    phase3Complete,
    phase4Complete,
    phase5Complete,
    workflowComplete,
});
