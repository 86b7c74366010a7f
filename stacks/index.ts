/**
 * The flow-nexus program: the stack's config (./settings.ts), one
 * FlowNexusPlatform, and its outputs under the names of the platform
 * process's memory keys.
 */
import * as pulumi from "@pulumi/pulumi";
import { FlowNexusPlatform } from "../components";
import { memoryKeys } from "./memory";
import { backends, config, settings, withSecrets } from "./settings";

const user = withSecrets("user");
const sandbox = withSecrets("sandbox");
const storage = withSecrets("storage");
const database = withSecrets("database");

const platform = new FlowNexusPlatform("flow-nexus", {
    identity: {
        email: user.email,
        password: config.requireSecret("password"),
        fullName: user.fullName,
        metadata: user.metadata,
        settings: {
            project: pulumi.getProject(),
            stack: pulumi.getStack(),
            backends: settings.backends,
            sandboxTemplate: sandbox.template,
            bucket: storage.name,
            schema: database.schema,
        },
    },
    services: { sandbox, storage, database, realtime: withSecrets("realtime") },
    application: withSecrets("app"),
    operations: withSecrets("monitoring"),
    billing: withSecrets("billing"),
    backends,
    forceDestroySettings: {
        storage: "flow-nexus:storage.forceDestroy",
        database: "flow-nexus:database.forceDestroy",
        billing: "flow-nexus:billing.forceDestroy",
    },
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
/** Where the platform's Supabase APIs answer, the SUPABASE_URL its linked apps get: the stack's gateway (local) or the Supabase project (cloud). */
export const apiUrl = services.bucket.url.apply((url) => new URL(url).origin);
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
