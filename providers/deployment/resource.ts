import * as pulumi from "@pulumi/pulumi";
import { all, backendKind, billingRef, checkProps, integer, oneOf, optional, Rule, stringMap, text, UNKNOWN } from "../runtime/check";
import { AuditedProvider, Backend } from "../runtime/crud";
import { cloudCredentials } from "../runtime/credentials";
import { diffInputs } from "../runtime/diff";
import { BackendRef, BillingRef, lineageTags, Tags } from "../runtime/lineage";
import { forwardingProvider } from "../runtime/load";
import { inspectSource, NODE_START, NPM_INSTALL, Source, TEMPLATES } from "./source";

const TYPE = "pulumi-nodejs:dynamic/flownexus:Deployment";

export { Source, Template, TEMPLATES } from "./source";

/** The resolved inputs of a deployment, defaults applied. */
export interface Inputs {
    /** The sandbox the app runs in. */
    sandboxId: string;
    source: Source;
    /** Environment variables of the app (and of its install command), over the sandbox's envs. */
    env: Record<string, string>;
    /** Run in the app's directory before it starts; none when undefined. */
    installCommand?: string;
    startCommand: string;
    /** The loopback port the app listens on, passed to it as PORT. */
    port: number;
    /**
     * The path that answers 200 when the app is healthy. Without one, the
     * app is ready once its port listens; the policy pack asks for one.
     */
    healthPath?: string;
    /** How long the app has to become ready after it starts. */
    healthTimeoutSeconds: number;
    /** The sha256 of the source's files, computed by `check`, so a source edit is a diff. */
    sourceHash: string;
    /** The credit account it draws on; without credits it does not start. */
    billing?: BillingRef;
    backend: BackendRef;
    tags: Tags;
}

/** What the provider stores: the inputs and what the backend reports. */
export interface Outputs extends Inputs {
    deploymentId: string;
    url: string;
    healthUrl: string;
    /** `unhealthy` only comes from `read`: the app died or stopped answering (drift). */
    status: "healthy" | "unhealthy";
    /** Absolute path of the app's files in the sandbox. */
    appDir: string;
    /** Absolute path of the app's log (install and run output). */
    logFile: string;
}

/** What a backend implements for deployments. */
export type DeploymentBackend = Backend<Inputs, Outputs>;

export const MIN_HEALTH_TIMEOUT_SECONDS = 5;
export const MAX_HEALTH_TIMEOUT_SECONDS = 600;

const INPUTS = [
    "sandboxId",
    "source",
    "sourceHash",
    "billing",
    "env",
    "installCommand",
    "startCommand",
    "port",
    "healthPath",
    "healthTimeoutSeconds",
    "backend",
    "tags",
] as const;

/** An app lives in one sandbox: another sandbox is another deployment. Everything else redeploys in place. */
const REPLACE_ON = ["sandboxId", "backend"] as const;

// Loaded on first use, so a program (or a preview) never loads a backend.
const backends: Partial<Record<BackendRef["kind"], () => Promise<DeploymentBackend>>> = {
    local: async () => (await import("./local")).backend,
    cloud: async () => (await import("./e2b")).backend,
};

const envRule = stringMap({
    keyPattern: "^[A-Za-z_][A-Za-z0-9_]*$",
    keyAllowed: "a letter or underscore followed by letters, digits or underscores",
});

/**
 * The `check` rules, exported for the unit tests and stack config. The
 * source's fields are checked as `source.template` and `source.directory`,
 * so their messages name them.
 */
export const rules: Record<string, Rule> = {
    sandboxId: text({ maxLength: 128 }),
    source: (value) => {
        const source = value as Partial<Record<"template" | "directory", unknown>> | undefined;
        const given = typeof source === "object" && source !== null && !Array.isArray(source) ? ["template", "directory"].filter((k) => source[k as "template"] !== undefined) : [];
        return given.length === 1 ? undefined : `must be exactly one of { template: "${TEMPLATES.join('" | "')}" } or { directory: "<absolute path>" } (got ${JSON.stringify(value)})`;
    },
    "source.template": optional(oneOf(TEMPLATES)),
    "source.directory": optional(text({ pattern: "^/", allowed: "an absolute path" })),
    env: (value) => envRule(value) ?? (Object.prototype.hasOwnProperty.call(value, "PORT") ? "must not set PORT: the port input sets it" : undefined),
    installCommand: optional(text({ maxLength: 4096 })),
    startCommand: optional(text({ maxLength: 4096 })),
    port: integer(1024, 65535),
    healthPath: optional((value) =>
        typeof value === "string" && value.startsWith("/") && !/\s/.test(value)
            ? undefined
            : `must start with a slash, e.g. /health (got ${JSON.stringify(value)})`,
    ),
    healthTimeoutSeconds: integer(MIN_HEALTH_TIMEOUT_SECONDS, MAX_HEALTH_TIMEOUT_SECONDS, " seconds"),
    billing: billingRef(),
    backend: all(backendKind(Object.keys(backends)), cloudCredentials(["e2bApiKey", "databaseUrl"])),
};

/** The inputs with the defaults that do not depend on the source's files applied. */
export function withDefaults(news: Inputs): Inputs {
    const template = typeof news.source === "object" && news.source !== null ? news.source.template : undefined;
    // Both templates start with server.js; a directory's default depends on its files (see check).
    const startCommand = news.startCommand ?? (template !== undefined ? NODE_START : undefined);
    return {
        ...news,
        env: news.env ?? {},
        healthTimeoutSeconds: news.healthTimeoutSeconds ?? 60,
        ...(startCommand !== undefined ? { startCommand } : {}),
    };
}

/** Whether a value, or anything inside it, is not known until apply. */
function hasUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    return typeof value === "object" && value !== null && Object.values(value).some(hasUnknown);
}

class Provider extends AuditedProvider<Inputs, Outputs> {
    constructor() {
        super({
            type: "Deployment",
            inputs: INPUTS,
            backends,
            id: (outs) => outs.deploymentId,
        });
    }

    async check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>> {
        const inputs = withDefaults(news);
        const source = inputs.source as Partial<Record<"template" | "directory", unknown>> | undefined;
        const flat = { ...inputs, "source.template": source?.template, "source.directory": source?.directory };
        const failures = checkProps(flat as unknown as Record<string, unknown>, rules);
        if (failures.some((f) => f.property.startsWith("source"))) return { inputs, failures };
        if (hasUnknown(inputs.source)) {
            // Known at apply; the engine shows the hash as unknown until then.
            inputs.sourceHash = UNKNOWN;
            return { inputs, failures };
        }
        try {
            const facts = await inspectSource(inputs.source);
            inputs.sourceHash = facts.sourceHash;
            if (inputs.installCommand === undefined && facts.hasDependencies) inputs.installCommand = NPM_INSTALL;
            if (inputs.startCommand === undefined && facts.hasServerJs) inputs.startCommand = NODE_START;
        } catch (err) {
            failures.push({ property: "source", reason: (err as Error).message });
            return { inputs, failures };
        }
        if (inputs.startCommand === undefined) {
            failures.push({ property: "startCommand", reason: "startCommand is required for a directory source without server.js" });
        }
        return { inputs, failures };
    }

    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        // A replacement on the same port must free it first, or the new app could not listen.
        return diffInputs(olds as never, news as never, INPUTS, REPLACE_ON, olds.port === news.port);
    }
}

/** The implementation the serialized shell forwards to, in the provider process. */
export const provider = new Provider();

/** The arguments of a {@link Deployment}. */
export interface DeploymentArgs {
    /** The sandbox the app runs in; changing it replaces the deployment. */
    readonly sandboxId: pulumi.Input<string>;
    /** `{ template: "node-http" | "static-site" }` or `{ directory: "<absolute path>" }`; a change (or an edit of its files) redeploys in place. */
    readonly source: pulumi.Input<Source>;
    /** Environment variables of the app. Default none. */
    readonly env?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Run before the app starts. Default `npm install --omit=dev --no-audit --no-fund` when package.json has dependencies, else none. */
    readonly installCommand?: pulumi.Input<string>;
    /** Starts the app. Default `node server.js` when the source has a server.js; required otherwise. */
    readonly startCommand?: pulumi.Input<string>;
    /** The port the app listens on (given to it as PORT), 1024 to 65535; normally one of the sandbox's allocatedPorts. */
    readonly port: pulumi.Input<number>;
    /** The path that answers 200 when the app is healthy, e.g. "/health". Default none: ready once the port listens. */
    readonly healthPath?: pulumi.Input<string>;
    /** Seconds the app has to become healthy, 5 to 600. Default 60. */
    readonly healthTimeoutSeconds?: pulumi.Input<number>;
    /** The credit account it draws on. Default none: not billed. */
    readonly billing?: pulumi.Input<BillingRef>;
    /** Which backend runs it. */
    readonly backend: pulumi.Input<BackendRef>;
}

// One shell for every deployment: Pulumi caches a provider's serialization by identity.
const shell = forwardingProvider("Deployment");

/** An application deployed into a sandbox and verified healthy (phase 3). */
export class Deployment extends pulumi.dynamic.Resource {
    public readonly sandboxId!: pulumi.Output<string>;
    public readonly port!: pulumi.Output<number>;
    public readonly healthPath!: pulumi.Output<string>;
    public readonly sourceHash!: pulumi.Output<string>;
    public readonly deploymentId!: pulumi.Output<string>;
    public readonly url!: pulumi.Output<string>;
    public readonly healthUrl!: pulumi.Output<string>;
    public readonly status!: pulumi.Output<Outputs["status"]>;
    public readonly appDir!: pulumi.Output<string>;
    public readonly logFile!: pulumi.Output<string>;

    constructor(name: string, args: DeploymentArgs, opts?: pulumi.CustomResourceOptions) {
        const tags = lineageTags(name, TYPE, opts?.parent);
        // Inputs with defaults are seeded too: a key missing from props gets no output.
        const defaulted = { healthPath: undefined };
        const props = {
            ...defaulted,
            ...args,
            tags,
            // Computed by check from the source's files.
            sourceHash: undefined,
            deploymentId: undefined,
            url: undefined,
            healthUrl: undefined,
            status: undefined,
            appDir: undefined,
            logFile: undefined,
        };
        super(shell, name, props, opts, "flownexus", "Deployment");
    }
}
