/** What a monitor is: every input with its type, bounds, default and replace rule, written once. */
import type { Backend } from "../runtime/crud";
import { backendRef, field, flag, list, strictObject, tags, text, wholeNumber, z } from "../runtime/schema";

const httpUrl = text({ pattern: "^https?://[^\\s/?#]+([/?#]\\S*)?$", allowed: "an http(s) URL such as http://127.0.0.1:8080/health", maxLength: 2048 });
const id = text({ maxLength: 128 });

/** Something a monitor probes with GET; naming a deployment (with its sandbox) lets it restart that deployment. */
const target = strictObject({
    name: text({ pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", allowed: "1 to 64 letters, digits, dots, hyphens or underscores" }),
    url: httpUrl,
    deploymentId: id.optional(),
    sandboxId: id.optional(),
}).refine((t) => (t.deploymentId === undefined) === (t.sandboxId === undefined), { error: "deploymentId and sandboxId must be given together" });

export const ALERT_TYPES = ["webhook", "file"] as const;

/** Where alerts go: a webhook receives a JSON POST; a file gets one JSON line per alert. */
const alert = z.discriminatedUnion(
    "type",
    [strictObject({ type: z.literal("webhook"), url: httpUrl }), strictObject({ type: z.literal("file"), path: text({ pattern: "^/", allowed: "an absolute path" }) })],
    { error: (iss) => `must be one of ${ALERT_TYPES.join(", ")} (got ${JSON.stringify((iss.input as { type?: unknown } | undefined)?.type)})` },
);

export const schema = z.object({
    targets: field(
        list(target, { minItems: 1 }).refine((targets) => new Set(targets.map((t) => t.name)).size === targets.length, {
            error: (iss) => {
                const names = (iss.input as Array<{ name: string }>).map((t) => t.name);
                return `names must be unique (got ${JSON.stringify(names.find((n, i) => names.indexOf(n) !== i))} twice)`;
            },
        }),
        { description: "What to probe, at least one: { name, url, deploymentId?, sandboxId? }." },
    ),
    intervalSeconds: field(wholeNumber(1, 3600, " seconds").default(30), { description: "Seconds between checks." }),
    thresholds: field(
        strictObject({
            consecutiveFailures: field(wholeNumber(1, 100).default(3), { description: "Failed checks in a row that raise an alert (and a restart)." }),
            latencyMs: field(wholeNumber(1, 60_000, " ms").default(2000), { description: "A check slower than this fails." }),
        }).prefault({}),
        { description: "When a target counts as failed, and when its failures raise an alert." },
    ),
    alerts: field(list(alert).default([]), { description: "Where alerts go: [{ type: webhook, url }] (a JSON POST) or [{ type: file, path }] (a JSON line)." }),
    restartOnFailure: field(flag().default(true), { description: "Restart a target's deployment after consecutiveFailures." }),
    configHash: field(z.string().optional(), { description: "The sha256 of the configuration, computed by check; read empties it when the watchdog is down." }),
    backend: backendRef(["local", "cloud"], ["e2bApiKey", "databaseUrl"]),
    tags: tags(),
});

type Parsed = z.output<typeof schema>;
export type Target = Parsed["targets"][number];
export type Thresholds = Parsed["thresholds"];
export type AlertChannel = Parsed["alerts"][number];

/** The resolved inputs of a monitor, defaults applied. */
export type Inputs = Parsed & { configHash: string };

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
