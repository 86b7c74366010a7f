/**
 * The stack's config, read and checked before anything else loads: every
 * problem at once, as one line per `flow-nexus:` key, so that a stack with
 * bad config stops here and the program starts nothing (stacks/main.js
 * starts the provider process only after this module loaded). It imports
 * only the parts of @pulumi/pulumi that the engine's runner has loaded
 * already; the rest of the program is ./index.ts.
 */
import { Config } from "@pulumi/pulumi/config";
import { RunError } from "@pulumi/pulumi/errors";
import { getStack } from "@pulumi/pulumi/metadata";
import { Output, secret } from "@pulumi/pulumi/output";
import { allConfig } from "@pulumi/pulumi/runtime/config";
import * as path from "path";
import type { BackendRef } from "../providers/runtime/lineage";
import { CREDENTIALS } from "../providers/runtime/credentials";
import { schema as userSchema } from "../providers/user/schema";
import { ConfigError, namespaceProblems, PlatformConfig, platformConfig, RawConfig, SECTION_NAMES, Service, SERVICES } from "./config";
import { leafValues, SecretPaths, secretPaths, valueAt } from "./secrets";

export const config = new Config("flow-nexus");
// Which keys hold a secret: @pulumi/pulumi has it, but does not declare it.
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
    const all = Object.entries(allConfig()).filter(([key]) => key.startsWith("flow-nexus:"));
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
const dataDir = path.resolve(__dirname, "..", ".flow-nexus", "stacks", getStack());

const projectDir = path.resolve(__dirname, "..");
const secrets = secretPaths({ namespace: "flow-nexus", sections: SECTION_NAMES, isSecret: isConfigSecret, projectDir, stack: getStack() });

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
    throw new RunError(scrubSecrets(new ConfigError(problems).message, raw, secrets));
}

export const settings = readSettings();

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
type Secretive<T> = { [K in keyof T]: T[K] | Output<NonNullable<T[K]>> };

/** The section with each setting that holds a secret config leaf wrapped as a Pulumi secret. */
export function withSecrets<S extends keyof PlatformConfig>(section: S): Secretive<PlatformConfig[S]> {
    const values = settings[section] as Record<string, unknown>;
    const paths = secrets[section];
    if (!paths) return values as Secretive<PlatformConfig[S]>;
    const fields = paths.includes("*") ? Object.keys(values) : paths.map((p) => p.split(/[.[]/)[0]).map((k) => SETTING_OF[section]?.[k] ?? k);
    const wrapped = { ...values };
    for (const field of new Set(fields)) if (wrapped[field] !== undefined) wrapped[field] = secret(wrapped[field]);
    return wrapped as Secretive<PlatformConfig[S]>;
}


const backendOf = (service: Service): BackendRef =>
    settings.backends[service] === "cloud" ? { kind: "cloud" } : { kind: "local", dataDir };
export const backends = Object.fromEntries(SERVICES.map((s) => [s, backendOf(s)])) as Record<Service, BackendRef>;

