/**
 * The flow-nexus program: the stack's config, one FlowNexusPlatform, and its
 * outputs under the names of the platform process's memory keys.
 */
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { FlowNexusPlatform } from "../components";
import { BackendRef } from "../providers/runtime/lineage";
import { CREDENTIALS } from "../providers/runtime/credentials";
import { schema as userSchema } from "../providers/user/schema";
import { ConfigError, namespaceProblems, PlatformConfig, platformConfig, RawConfig, SECTION_NAMES, Service, SERVICES } from "./config";
import { memoryKeys } from "./memory";
import { leafValues, SecretPaths, secretPaths, valueAt } from "./secrets";

const config = new pulumi.Config("flow-nexus");
// Which keys hold a secret: @pulumi/pulumi has it, but its runtime index does not re-export it.
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

/** The namespace's keys that are not sections: the password and the cloud credentials. */
const PLAIN_KEYS = ["password", ...Object.values(CREDENTIALS).map((c) => c.key.slice("flow-nexus:".length))];

/** Every `flow-nexus:*` key of the stack, its value parsed as config objects are (a plain string stays one). */
function namespaceConfig(): Record<string, unknown> {
    const parse = (text: string) => {
        try {
            return JSON.parse(text) as unknown;
        } catch {
            return text;
        }
    };
    const all = Object.entries(pulumi.runtime.allConfig()).filter(([key]) => key.startsWith("flow-nexus:"));
    const sections: readonly string[] = SECTION_NAMES;
    return Object.fromEntries(all.map(([key, value]) => [key, sections.includes(key.slice("flow-nexus:".length)) ? parse(value) : value]));
}

/** Problems of the namespace's keys, and of the password (a plain key, judged by the user's schema). */
function inputProblems(values: Record<string, unknown>): string[] {
    const password = config.get("password");
    const checked = password === undefined ? undefined : userSchema.shape.password.safeParse(password);
    return [...namespaceProblems(Object.keys(values), PLAIN_KEYS), ...(checked?.error ? [`flow-nexus:password ${checked.error.issues[0].message}`] : [])];
}

const values = namespaceConfig();
const raw = Object.fromEntries(SECTION_NAMES.map((s) => [s, values[`flow-nexus:${s}`]])) as RawConfig;

/** The stack's data folder: where every local backend keeps its state. */
const dataDir = path.resolve(__dirname, "..", ".flow-nexus", "stacks", pulumi.getStack());

const projectDir = path.resolve(__dirname, "..");
const secrets = secretPaths({ namespace: "flow-nexus", sections: SECTION_NAMES, isSecret: isConfigSecret, projectDir, stack: pulumi.getStack() });

/** Every problem of the config at once: its keys, the password's length, then the sections' values. */
function readSettings(): PlatformConfig {
    const problems = inputProblems(values);
    if (secrets.backends) problems.push("flow-nexus:backends cannot hold secrets: it says where each service runs (set credentials as their own keys)");
    try {
        const settings = platformConfig(raw, {
            // The password stays wrapped as a secret: config checks that it is set and how long it is.
            passwordSet: config.getSecret("password") !== undefined,
            projectDir,
            // Locally, alerts land in a file of the stack's data folder unless config names a webhook.
            defaultAlerts: [{ type: "file", path: path.join(dataDir, "alerts.jsonl") }],
        });
        if (problems.length === 0) return settings;
    } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        problems.push(...err.problems);
    }
    // A RunError prints only its message: the list of bad keys, with no secret value quoted.
    throw new pulumi.RunError(scrubSecrets(new ConfigError(problems).message, raw, secrets));
}

const settings = readSettings();

/** A message with every secret config value in it replaced by [secret]. */
function scrubSecrets(message: string, config: RawConfig, paths: SecretPaths): string {
    const values = Object.entries(paths).flatMap(([section, inSection]) => {
        const value = config[section as keyof RawConfig];
        return inSection.includes("*") ? leafValues(value) : inSection.flatMap((p) => leafValues(valueAt(value, p)));
    });
    return values.sort((a, b) => b.length - a.length).reduce((m, v) => m.split(v).join("[secret]"), message);
}

/** Where a config path's first key lands in the validated settings, where the names differ. */
const SETTING_OF: Partial<Record<keyof PlatformConfig, Record<string, string>>> = {
    storage: { bucket: "name" },
    app: { template: "source", directory: "source" },
    monitoring: { consecutiveFailures: "thresholds", latencyMs: "thresholds" },
};

/** A section whose settings may be secrets. */
type Secretive<T> = { [K in keyof T]: T[K] | pulumi.Output<NonNullable<T[K]>> };

/** The section with each setting that holds a secret config leaf wrapped as a Pulumi secret. */
function withSecrets<S extends keyof PlatformConfig>(section: S): Secretive<PlatformConfig[S]> {
    const values = settings[section] as Record<string, unknown>;
    const paths = secrets[section];
    if (!paths) return values as Secretive<PlatformConfig[S]>;
    const fields = paths.includes("*") ? Object.keys(values) : paths.map((p) => p.split(/[.[]/)[0]).map((k) => SETTING_OF[section]?.[k] ?? k);
    const wrapped = { ...values };
    for (const field of new Set(fields)) if (wrapped[field] !== undefined) wrapped[field] = pulumi.secret(wrapped[field]);
    return wrapped as Secretive<PlatformConfig[S]>;
}

const user = withSecrets("user");
const sandbox = withSecrets("sandbox");
const storage = withSecrets("storage");
const database = withSecrets("database");

const backendOf = (service: Service): BackendRef =>
    settings.backends[service] === "cloud" ? { kind: "cloud" } : { kind: "local", dataDir };
const backends = Object.fromEntries(SERVICES.map((s) => [s, backendOf(s)])) as Record<Service, BackendRef>;

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
