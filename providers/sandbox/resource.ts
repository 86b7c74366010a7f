import * as pulumi from "@pulumi/pulumi";
import { all, backendKind, billingRef, checkProps, integer, oneOf, optional, stringMap, text } from "../runtime/check";
import { AuditedProvider, Backend } from "../runtime/crud";
import { cloudCredentials } from "../runtime/credentials";
import { diffInputs } from "../runtime/diff";
import { BackendRef, BillingRef, lineageTags, Tags } from "../runtime/lineage";
import { forwardingProvider } from "../runtime/load";

const TYPE = "pulumi-nodejs:dynamic/flownexus:Sandbox";

/** The templates a sandbox can start from (E2B's names). */
export const TEMPLATES = ["node", "python", "react", "nextjs", "vanilla", "base", "claude-code"] as const;
export type Template = (typeof TEMPLATES)[number];

/** What happens when a sandbox reaches its end time. */
export const ON_TIMEOUT = ["kill", "pause"] as const;
export type OnTimeout = (typeof ON_TIMEOUT)[number];

/** A sandbox lives at least a minute and at most E2B Pro's 24 hours. */
export const MIN_TIMEOUT_SECONDS = 60;
export const MAX_TIMEOUT_SECONDS = 24 * 60 * 60;
export const MAX_PORTS = 16;

/** The resolved inputs of a sandbox, defaults applied. */
export interface Inputs {
    template: Template;
    /** Seconds from creation (or from the last timeout change) to the sandbox's end. */
    timeoutSeconds: number;
    /** Environment variables of every process in the sandbox. */
    envs: Record<string, string>;
    metadata: Record<string, string>;
    onTimeout: OnTimeout;
    /** A shell script run once at creation, in the work dir with `envs`; creation fails if it fails. */
    startupScript?: string;
    /** How many loopback ports to allocate for the sandbox's servers. */
    ports: number;
    /** Where its running time is charged; without credits it does not start. */
    billing?: BillingRef;
    backend: BackendRef;
    tags: Tags;
}

/** How a sandbox's processes are isolated from the host: locally bubblewrap or none, on E2B a Firecracker microVM. */
export type Isolation = "bubblewrap" | "process" | "microvm";

/** What the provider stores: the inputs and what the backend reports. */
export interface Outputs extends Inputs {
    sandboxId: string;
    /** `stopped`: its processes died (a reboot); the next `up` starts it again. */
    status: "running" | "paused" | "stopped";
    host: string;
    allocatedPorts: number[];
    /** ISO timestamps. */
    startedAt: string;
    endAt: string;
    isolation: Isolation;
    /** Absolute path of the directory commands run in. */
    workDir: string;
}

/** What a backend implements for sandboxes: `update` applies a new timeout or onTimeout only. */
export type SandboxBackend = Backend<Inputs, Outputs>;

const INPUTS = ["template", "timeoutSeconds", "envs", "metadata", "onTimeout", "startupScript", "ports", "billing", "backend", "tags"] as const;

/** Everything but the timeout and what happens at it is fixed when a sandbox starts. */
const REPLACE_ON = ["template", "envs", "metadata", "startupScript", "ports", "backend"] as const;
/** E2B fixes what happens at the timeout when the sandbox is created (its lifecycle cannot change). */
const CLOUD_REPLACE_ON = [...REPLACE_ON, "onTimeout"] as const;

// Loaded on first use, so a program (or a preview) never loads a backend's SDK.
const backends: Partial<Record<BackendRef["kind"], () => Promise<SandboxBackend>>> = {
    local: async () => (await import("./local")).backend,
    cloud: async () => (await import("./e2b")).backend,
};

/** The `check` rules, exported for the unit tests. */
export const rules = {
    template: oneOf(TEMPLATES),
    timeoutSeconds: integer(MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS, " seconds"),
    envs: stringMap({
        keyPattern: "^[A-Za-z_][A-Za-z0-9_]*$",
        keyAllowed: "a letter or underscore followed by letters, digits or underscores",
    }),
    metadata: stringMap(),
    onTimeout: oneOf(ON_TIMEOUT),
    startupScript: optional(text({ maxLength: 64 * 1024 })),
    ports: integer(0, MAX_PORTS),
    billing: billingRef(),
    backend: all(backendKind(Object.keys(backends)), cloudCredentials(["e2bApiKey", "databaseUrl"])),
};

/** The inputs with their defaults applied. */
export function withDefaults(news: Inputs): Inputs {
    return {
        ...news,
        timeoutSeconds: news.timeoutSeconds ?? 3600,
        envs: news.envs ?? {},
        metadata: news.metadata ?? {},
        onTimeout: news.onTimeout ?? "kill",
        ports: news.ports ?? 0,
    };
}

class Provider extends AuditedProvider<Inputs, Outputs> {
    constructor() {
        super({
            type: "Sandbox",
            inputs: INPUTS,
            backends,
            id: (outs) => outs.sandboxId,
        });
    }

    async check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>> {
        const inputs = withDefaults(news);
        return { inputs, failures: checkProps(inputs as unknown as Record<string, unknown>, rules) };
    }

    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        const cloud = olds.backend?.kind === "cloud" && news.backend?.kind === "cloud";
        return diffInputs(olds as never, news as never, INPUTS, cloud ? CLOUD_REPLACE_ON : REPLACE_ON);
    }
}

/** The implementation the serialized shell forwards to, in the provider process. */
export const provider = new Provider();

/** The arguments of a {@link Sandbox}. */
export interface SandboxArgs {
    /** The template it starts from; changing it replaces the sandbox. */
    readonly template: pulumi.Input<Inputs["template"]>;
    /** Seconds until it ends, 60 to 86400. Default 3600. Changing it restarts the clock in place. */
    readonly timeoutSeconds?: pulumi.Input<Inputs["timeoutSeconds"]>;
    /** Environment variables of its processes. Default none; changing them replaces the sandbox. */
    readonly envs?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Free-form labels. Default none; changing them replaces the sandbox. */
    readonly metadata?: pulumi.Input<Inputs["metadata"]>;
    /** At its end time, "kill" it or "pause" it. Default "kill". */
    readonly onTimeout?: pulumi.Input<Inputs["onTimeout"]>;
    /** A shell script run once at creation; creation fails if it exits non-zero. Default none. */
    readonly startupScript?: pulumi.Input<string>;
    /** Loopback ports to allocate, 0 to 16. Default 0. */
    readonly ports?: pulumi.Input<Inputs["ports"]>;
    /** The credit account its running time is charged to. Default none: not billed. */
    readonly billing?: pulumi.Input<BillingRef>;
    /** Which backend runs it. */
    readonly backend: pulumi.Input<BackendRef>;
}

// One shell for every sandbox: Pulumi caches a provider's serialization by identity.
const shell = forwardingProvider("Sandbox");

/**
 * A sandbox: a supervised process sandbox locally, an E2B sandbox in the
 * cloud (where `host` is `<sandboxId>.<domain>` and port p is served at
 * `https://p-<host>`).
 */
export class Sandbox extends pulumi.dynamic.Resource {
    public readonly template!: pulumi.Output<Template>;
    public readonly timeoutSeconds!: pulumi.Output<number>;
    public readonly onTimeout!: pulumi.Output<OnTimeout>;
    public readonly metadata!: pulumi.Output<Record<string, string>>;
    public readonly sandboxId!: pulumi.Output<string>;
    public readonly status!: pulumi.Output<Outputs["status"]>;
    public readonly host!: pulumi.Output<string>;
    public readonly allocatedPorts!: pulumi.Output<number[]>;
    public readonly startedAt!: pulumi.Output<string>;
    public readonly endAt!: pulumi.Output<string>;
    public readonly isolation!: pulumi.Output<Isolation>;
    public readonly workDir!: pulumi.Output<string>;

    constructor(name: string, args: SandboxArgs, opts?: pulumi.CustomResourceOptions) {
        const tags = lineageTags(name, TYPE, opts?.parent);
        // Inputs with defaults are seeded too: a key missing from props gets no output.
        const defaulted = { timeoutSeconds: undefined, onTimeout: undefined, metadata: undefined };
        const props = {
            ...defaulted,
            ...args,
            tags,
            sandboxId: undefined,
            status: undefined,
            host: undefined,
            allocatedPorts: undefined,
            startedAt: undefined,
            endAt: undefined,
            isolation: undefined,
            workDir: undefined,
        };
        super(shell, name, props, opts, "flownexus", "Sandbox");
    }
}
