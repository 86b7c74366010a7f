import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { all, backendKind, boolean, checkProps, integer, list, oneOf, optional, Rule, text, UNKNOWN } from "../runtime/check";
import { AuditedProvider, Backend } from "../runtime/crud";
import { cloudCredentials } from "../runtime/credentials";
import { diffInputs } from "../runtime/diff";
import { BackendRef, lineageTags, Tags } from "../runtime/lineage";
import { forwardingProvider } from "../runtime/load";

const TYPE = "pulumi-nodejs:dynamic/flownexus:Monitor";

/** Something a monitor probes with GET; naming a deployment lets it restart that deployment. */
export interface Target {
    /** Unique within the monitor; alerts and checks name it. */
    name: string;
    /** An http(s) URL that answers 2xx when the target is healthy. */
    url: string;
    /** With sandboxId: the deployment to restart when this target fails. */
    deploymentId?: string;
    sandboxId?: string;
}

/** When a target counts as failed, and when its failures raise an alert. */
export interface Thresholds {
    /** Failed checks in a row that raise an alert (and a restart). */
    consecutiveFailures: number;
    /** A check slower than this fails. */
    latencyMs: number;
}

/** Where alerts go: a webhook receives a JSON POST; a file gets one JSON line per alert. */
export type AlertChannel = { type: "webhook"; url: string } | { type: "file"; path: string };

export const ALERT_TYPES = ["webhook", "file"] as const;

/** The resolved inputs of a monitor, defaults applied. */
export interface Inputs {
    targets: Target[];
    intervalSeconds: number;
    thresholds: Thresholds;
    alerts: AlertChannel[];
    /** Restart a target's deployment after consecutiveFailures. */
    restartOnFailure: boolean;
    /**
     * The sha256 of the configuration, computed by `check`. `read` empties it
     * when the watchdog is not running, so the next `up` starts it again.
     */
    configHash: string;
    backend: BackendRef;
    tags: Tags;
}

/** What the provider stores: the inputs and what the backend reports. */
export interface Outputs extends Inputs {
    monitorId: string;
    /** `active` while the watchdog runs. */
    status: "active" | "stopped";
    /** The watchdog's process id; 0 when none runs. */
    watchdogPid: number;
}

/** What a backend implements for monitors. */
export type MonitorBackend = Backend<Inputs, Outputs>;

export const DEFAULT_THRESHOLDS: Thresholds = { consecutiveFailures: 3, latencyMs: 2000 };

const INPUTS = ["targets", "intervalSeconds", "thresholds", "alerts", "restartOnFailure", "configHash", "backend", "tags"] as const;

// Loaded on first use, so a program (or a preview) never loads a backend.
const backends: Partial<Record<BackendRef["kind"], () => Promise<MonitorBackend>>> = {
    local: async () => (await import("./local")).backend,
    cloud: async () => (await import("./e2b")).backend,
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * An object with the given properties (each optional unless its rule says
 * otherwise) and no others: a misspelt property is an error, not a default.
 */
function shape(fields: Record<string, Rule>, also?: (value: Record<string, unknown>) => string | undefined): Rule {
    return (value) => {
        if (!isObject(value)) return `must be an object with ${Object.keys(fields).join(", ")} (got ${JSON.stringify(value)})`;
        const extra = Object.keys(value).filter((k) => !(k in fields) && value[k] !== undefined);
        if (extra.length > 0) return `has no property ${JSON.stringify(extra[0])} (allowed: ${Object.keys(fields).join(", ")})`;
        for (const [key, rule] of Object.entries(fields)) {
            if (value[key] === UNKNOWN) continue;
            const reason = rule(value[key]);
            if (reason) return `${key} ${reason}`;
        }
        return also?.(value);
    };
}

const httpUrl = text({ pattern: "^https?://[^\\s/?#]+([/?#]\\S*)?$", allowed: "an http(s) URL such as http://127.0.0.1:8080/health", maxLength: 2048 });

const target = shape(
    {
        name: text({ pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", allowed: "1 to 64 letters, digits, dots, hyphens or underscores" }),
        url: httpUrl,
        deploymentId: optional(text({ maxLength: 128 })),
        sandboxId: optional(text({ maxLength: 128 })),
    },
    (t) => ((t.deploymentId === undefined) !== (t.sandboxId === undefined) ? "deploymentId and sandboxId must be given together" : undefined),
);

/** The `check` rules, exported for the unit tests and stack config. */
export const rules: Record<string, Rule> = {
    targets: (value) => {
        const reason = list(target, { minItems: 1 })(value);
        if (reason) return reason;
        const names = (value as unknown[]).map((t) => (isObject(t) ? t.name : undefined)).filter((n) => typeof n === "string" && n !== UNKNOWN);
        const twice = names.find((n, i) => names.indexOf(n) !== i);
        return twice === undefined ? undefined : `names must be unique (got ${JSON.stringify(twice)} twice)`;
    },
    intervalSeconds: integer(1, 3600, " seconds"),
    thresholds: shape({
        consecutiveFailures: integer(1, 100),
        latencyMs: integer(1, 60_000, " ms"),
    }),
    alerts: list((value) => {
        const type = isObject(value) ? value.type : undefined;
        if (type === "webhook") return shape({ type: oneOf(ALERT_TYPES), url: httpUrl })(value);
        if (type === "file") return shape({ type: oneOf(ALERT_TYPES), path: text({ pattern: "^/", allowed: "an absolute path" }) })(value);
        return `type must be one of ${ALERT_TYPES.join(", ")} (got ${JSON.stringify(type)})`;
    }),
    restartOnFailure: boolean(),
    backend: all(backendKind(Object.keys(backends)), cloudCredentials(["e2bApiKey", "databaseUrl"])),
};

/** The inputs with their defaults applied. */
export function withDefaults(news: Inputs): Inputs {
    const thresholds = news.thresholds as unknown;
    return {
        ...news,
        intervalSeconds: news.intervalSeconds ?? 30,
        // Each threshold defaults on its own; an unknown (or invalid) value is left for check to judge.
        thresholds: thresholds === undefined ? { ...DEFAULT_THRESHOLDS } : isObject(thresholds) ? { ...DEFAULT_THRESHOLDS, ...stripUndefined(thresholds) } : news.thresholds,
        alerts: news.alerts ?? [],
        restartOnFailure: news.restartOnFailure ?? true,
    };
}

function stripUndefined(value: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/** JSON with sorted keys, so equal configurations hash equal. */
function canonical(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (isObject(value)) {
        const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
        return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

/** The hash of what the watchdog acts on; unknown while any of it is. */
export function configHash(inputs: Pick<Inputs, "targets" | "intervalSeconds" | "thresholds" | "alerts" | "restartOnFailure">): string {
    const { targets, intervalSeconds, thresholds, alerts, restartOnFailure } = inputs;
    const text = canonical({ targets, intervalSeconds, thresholds, alerts, restartOnFailure });
    return text.includes(UNKNOWN) ? UNKNOWN : createHash("sha256").update(text).digest("hex");
}

class Provider extends AuditedProvider<Inputs, Outputs> {
    constructor() {
        super({
            type: "Monitor",
            inputs: INPUTS,
            backends,
            id: (outs) => outs.monitorId,
        });
    }

    async check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>> {
        const inputs = withDefaults(news);
        inputs.configHash = configHash(inputs);
        const failures = checkProps(inputs as unknown as Record<string, unknown>, rules);
        // On E2B the watchdog runs inside a sandbox: some target must say which.
        const targets = Array.isArray(inputs.targets) ? inputs.targets : [];
        if (inputs.backend?.kind === "cloud" && !failures.some((f) => f.property === "targets") && !targets.some((t) => isObject(t) && t.sandboxId !== undefined)) {
            failures.push({ property: "targets", reason: "targets must include one with a sandboxId on the cloud backend: the watchdog runs in that E2B sandbox" });
        }
        return { inputs, failures };
    }

    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        // The watchdog re-reads its configuration: everything changes in place.
        return diffInputs(olds as never, news as never, INPUTS, ["backend"]);
    }
}

/** The implementation the serialized shell forwards to, in the provider process. */
export const provider = new Provider();

/** The arguments of a {@link Monitor}. */
export interface MonitorArgs {
    /** What to probe, at least one: `{ name, url, deploymentId?, sandboxId? }`. */
    readonly targets: pulumi.Input<pulumi.Input<{ [K in keyof Target]: pulumi.Input<Target[K]> }>[]>;
    /** Seconds between checks, 1 to 3600. Default 30. */
    readonly intervalSeconds?: pulumi.Input<number>;
    /** Failures in a row before an alert (1 to 100, default 3) and the slowest passing answer in ms (1 to 60000, default 2000). */
    readonly thresholds?: pulumi.Input<{ consecutiveFailures?: pulumi.Input<number>; latencyMs?: pulumi.Input<number> }>;
    /** Where alerts go: `{ type: "webhook", url }` (a JSON POST) or `{ type: "file", path }` (a JSON line). Default none. */
    readonly alerts?: pulumi.Input<pulumi.Input<AlertChannel>[]>;
    /** Restart a failing target's deployment. Default true. */
    readonly restartOnFailure?: pulumi.Input<boolean>;
    /** Which backend runs it. */
    readonly backend: pulumi.Input<BackendRef>;
}

// One shell for every monitor: Pulumi caches a provider's serialization by identity.
const shell = forwardingProvider("Monitor");

/** Health monitoring with alerts and automatic restarts (phase 4). */
export class Monitor extends pulumi.dynamic.Resource {
    public readonly targets!: pulumi.Output<Target[]>;
    public readonly intervalSeconds!: pulumi.Output<number>;
    public readonly thresholds!: pulumi.Output<Thresholds>;
    public readonly alerts!: pulumi.Output<AlertChannel[]>;
    public readonly restartOnFailure!: pulumi.Output<boolean>;
    public readonly monitorId!: pulumi.Output<string>;
    public readonly status!: pulumi.Output<Outputs["status"]>;
    public readonly watchdogPid!: pulumi.Output<number>;

    constructor(name: string, args: MonitorArgs, opts?: pulumi.CustomResourceOptions) {
        const tags = lineageTags(name, TYPE, opts?.parent);
        // Inputs with defaults are seeded too: a key missing from props gets no output.
        const defaulted = { intervalSeconds: undefined, thresholds: undefined, alerts: undefined, restartOnFailure: undefined };
        const props = {
            ...defaulted,
            ...args,
            tags,
            // Computed by check from the configuration.
            configHash: undefined,
            monitorId: undefined,
            status: undefined,
            watchdogPid: undefined,
        };
        super(shell, name, props, opts, "flownexus", "Monitor");
    }
}
