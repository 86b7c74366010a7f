/**
 * The stack's configuration: each `flow-nexus:<section>` composed from the
 * resources' schemas (`providers/<service>/schema.ts`), so a setting's type,
 * bounds and messages are the resource's own, and only the platform's
 * defaults are written here. Strict: a key that is not a setting is an error
 * naming the nearest one, a `null` is an error rather than a default, a
 * section given as a string is an error rather than a crash. Every problem
 * is one line naming its `flow-nexus:` key.
 */
import * as fs from "fs";
import * as path from "path";
import { limitBelowRefill, schema as refill } from "../providers/billing/schema";
import { schema as deployment, Source } from "../providers/deployment/schema";
import { AlertChannel, schema as monitor } from "../providers/monitor/schema";
import { schema as realtime } from "../providers/realtime/schema";
import { baseOf, field, issuePath, metaOf, oneOf, pathOf, text, valueAt, z } from "../providers/runtime/schema";
import { schema as sandbox } from "../providers/sandbox/schema";
import { Migration, schema as database } from "../providers/schema/schema";
import { schema as storage } from "../providers/storage/schema";
import { schema as user } from "../providers/user/schema";

/** The platform's services, each on its own backend (flow-nexus:backends). */
export const SERVICES = ["auth", "sandbox", "storage", "database", "payments"] as const;
export type Service = (typeof SERVICES)[number];

const thresholds = baseOf(monitor.shape.thresholds) as z.ZodObject<{ consecutiveFailures: z.ZodType<number>; latencyMs: z.ZodType<number> }>;
const backendKind = oneOf(["local", "cloud"]).default("local");
const SERVICE_IS: Record<Service, string> = { auth: "the user account", sandbox: "the sandbox, app and monitor", storage: "the bucket", database: "the schema and realtime", payments: "the credit ledger" };
const CLOUD_OF: Record<Service, string> = { auth: "Supabase Auth", sandbox: "E2B", storage: "Supabase Storage", database: "Supabase Postgres", payments: "Stripe" };

/** Every section's settings: the resources' fields, with the platform's defaults where they differ. */
export const SECTIONS = {
    user: z.strictObject({
        email: user.shape.email.default("dev@flow-nexus.local"),
        fullName: user.shape.fullName,
        metadata: user.shape.metadata,
    }),
    sandbox: z.strictObject({
        ...sandbox.pick({ template: true, timeoutSeconds: true, envs: true, metadata: true, onTimeout: true, startupScript: true }).shape,
        template: sandbox.shape.template.default("node"),
        // The platform's app listens on the sandbox's first port.
        ports: sandbox.shape.ports.default(1),
    }),
    storage: z.strictObject({
        bucket: storage.shape.name.default("platform-assets"),
        ...storage.pick({ public: true, fileSizeLimit: true, allowedMimeTypes: true, forceDestroy: true }).shape,
    }),
    database: z.strictObject({
        schema: database.shape.schema.default("app"),
        migrations: field(database.shape.migrations.optional(), { defaultIs: "the SQL files of stacks/migrations, in name order" }),
        forceDestroy: database.shape.forceDestroy,
    }),
    realtime: z.strictObject({
        // The table in flow-nexus:database.schema; the subscription's own rule judges schema.table.
        table: field(text().default("messages"), { description: "The table in flow-nexus:database.schema whose changes it delivers." }),
        events: realtime.shape.events,
        filter: realtime.shape.filter,
    }),
    app: z.strictObject({
        template: field((baseOf(deployment.shape.source) as z.ZodObject<{ template: z.ZodOptional<z.ZodType<Source["template"]>> }>).shape.template, {
            description: "The app, one of the templates of this repo (or set directory instead).",
            defaultIs: "node-http, unless directory is set",
        }),
        directory: field(text().optional(), { description: "The app's folder, relative to the project (instead of template).", allowed: "an existing directory" }),
        env: deployment.shape.env.default({ APP_MESSAGE: "Hello from flow-nexus" }),
        ...deployment.pick({ installCommand: true, startCommand: true }).shape,
        port: field(deployment.shape.port.optional(), { defaultIs: "the sandbox's first port" }),
        healthPath: deployment.shape.healthPath.default("/health"),
        healthTimeoutSeconds: deployment.shape.healthTimeoutSeconds,
    }),
    monitoring: z.strictObject({
        intervalSeconds: monitor.shape.intervalSeconds,
        consecutiveFailures: thresholds.shape.consecutiveFailures,
        latencyMs: thresholds.shape.latencyMs,
        alerts: field(monitor.shape.alerts.unwrap().optional(), { ...metaOf(monitor.shape.alerts), defaultIs: "a JSON line each in .flow-nexus/stacks/<stack>/alerts.jsonl" }),
        restartOnFailure: monitor.shape.restartOnFailure,
    }),
    billing: z.strictObject({
        enabled: refill.shape.enabled,
        thresholdCredits: refill.shape.thresholdCredits.default(50),
        refillAmountUsd: refill.shape.refillAmountUsd,
        monthlyLimitUsd: field(refill.shape.monthlyLimitUsd.unwrap().nullable().default(50), {
            description: "The most refills may charge in a calendar month (UTC), at least one refill; null: no limit, which the policy pack refuses.",
        }),
        initialCredits: refill.shape.initialCredits.default(100),
        creditsPerSandboxHour: refill.shape.creditsPerSandboxHour,
        forceDestroy: refill.shape.forceDestroy,
    }),
    backends: z.strictObject(
        Object.fromEntries(SERVICES.map((s) => [s, field(backendKind, { description: `Where ${SERVICE_IS[s]} runs: on this machine, or on ${CLOUD_OF[s]}.` })])) as Record<
            Service,
            typeof backendKind
        >,
    ),
};

export type Section = keyof typeof SECTIONS;
export const SECTION_NAMES = Object.keys(SECTIONS) as Section[];

/** The config as read from the stack, before defaults (one object per `flow-nexus:<section>` key). */
export type RawConfig = { [S in Section]?: unknown };
type Settings = { [S in Section]: z.output<(typeof SECTIONS)[S]> };

/** The validated configuration the platform is built from. */
export interface PlatformConfig {
    user: Settings["user"];
    sandbox: Settings["sandbox"];
    storage: Omit<Settings["storage"], "bucket"> & { name: string };
    database: { schema: string; migrations: Migration[]; forceDestroy: boolean };
    realtime: Settings["realtime"];
    app: Omit<Settings["app"], "template" | "directory"> & { source: Source };
    monitoring: Pick<Settings["monitoring"], "intervalSeconds" | "restartOnFailure"> & {
        thresholds: { consecutiveFailures: number; latencyMs: number };
        alerts: AlertChannel[];
    };
    backends: Settings["backends"];
    billing: Omit<Settings["billing"], "monthlyLimitUsd"> & { monthlyLimitUsd?: number };
}

export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        // One problem is one line; several are a list.
        super(problems.length === 1 ? `invalid stack config: ${problems[0]}` : `invalid stack config:\n  - ${problems.join("\n  - ")}`);
    }
}

/** The dev stack's schema: the SQL files of stacks/migrations, in name order. */
export function defaultMigrations(dir = path.join(__dirname, "migrations")): Migration[] {
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".sql"))
        .sort()
        .map((f) => ({ id: f.replace(/\.sql$/, ""), sql: fs.readFileSync(path.join(dir, f), "utf8") }));
}

/** The edit distance of two keys (Levenshtein, case-insensitive), for "did you mean". */
function distance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diagonal = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const above = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
            diagonal = above;
        }
    }
    return row[b.length];
}

/** The known key nearest to `key`, when it is near enough to be what was meant. */
export function nearest(key: string, known: readonly string[]): string | undefined {
    const [best] = known.map((k) => ({ k, d: distance(key, k) })).sort((x, y) => x.d - y.d);
    return best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.k : undefined;
}

export function notASetting(key: string, name: string, known: readonly string[]): string {
    const guess = nearest(name, known);
    return `${key} is not a setting (${guess ? `did you mean ${guess}?` : `the settings are ${known.join(", ")}`})`;
}

function kind(value: unknown): string {
    return value === null ? "null" : Array.isArray(value) ? "a list" : typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** The keys of the object the schema expects at `at` (of `value`), for "did you mean". */
function keysAt(schema: z.ZodType, at: readonly PropertyKey[], value: unknown): string[] {
    let s = baseOf(schema);
    for (let i = 0; i <= at.length; i++) {
        const def = s._zod.def as { type: string; element?: z.ZodType; options?: z.ZodType[]; shape?: Record<string, z.ZodType> };
        if (def.type === "pipe") s = baseOf((def as unknown as { in: z.ZodType }).in);
        if (def.type === "union") {
            // A discriminated union: the option whose `type` the value has.
            const given = (valueAt(value, at.slice(0, i)) as { type?: unknown } | undefined)?.type;
            s = baseOf(def.options!.find((o) => (o as z.ZodObject).shape?.type?.safeParse(given).success) ?? def.options![0]);
        }
        if (i === at.length) break;
        const next = (s as z.ZodObject).shape?.[at[i] as string] ?? (s._zod.def as { element?: z.ZodType }).element;
        if (!next) return [];
        s = baseOf(next);
    }
    return Object.keys((s as z.ZodObject).shape ?? {});
}

/** One line a problem of a section's value, each naming its full config key. */
function sectionProblems(section: Section, value: unknown): string[] {
    const schema = SECTIONS[section];
    const full = `flow-nexus:${section}`;
    if (value === undefined) return [];
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return [`${full} must be an object with the settings ${Object.keys(schema.shape).join(", ")} (got ${kind(value)})`];
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) return [];
    return parsed.error.issues.flatMap((issue) => {
        const at = issuePath(issue);
        const key = `${full}${at.length && typeof at[0] !== "number" ? "." : ""}${pathOf(at)}`;
        if (issue.code === "unrecognized_keys") {
            const known = keysAt(schema, issue.path, value);
            return issue.keys.map((k) => notASetting(`${key}.${k}`, k, known));
        }
        if (valueAt(value, issue.path) === null) return [`${key} is null: set a value, or remove the key to use its default`];
        return [`${key} ${issue.message}`];
    });
}

/**
 * The problems of the `flow-nexus:*` keys themselves: a key that is neither
 * a section nor one of `plainKeys` (the password, the credentials).
 */
export function namespaceProblems(keys: readonly string[], plainKeys: readonly string[]): string[] {
    const known = [...SECTION_NAMES, ...plainKeys];
    return keys.filter((k) => !known.includes(k.slice("flow-nexus:".length))).map((k) => notASetting(k, k.slice("flow-nexus:".length), known));
}

/** Applies defaults and validates; throws a ConfigError listing every bad key. */
export function platformConfig(
    raw: RawConfig,
    opts: {
        passwordSet: boolean;
        migrations?: () => Migration[];
        /** The project's folder: a relative app directory is relative to it. */
        projectDir?: string;
        /** Where alerts go when flow-nexus:monitoring.alerts is not set. */
        defaultAlerts?: AlertChannel[];
    },
): PlatformConfig {
    const found = [
        ...(opts.passwordSet ? [] : ["flow-nexus:password must be set, as a secret: pulumi config set --secret flow-nexus:password <12 to 72 characters>"]),
        ...SECTION_NAMES.flatMap((s) => sectionProblems(s, raw[s])),
    ];
    if (found.length > 0) throw new ConfigError(found);
    const s = Object.fromEntries(SECTION_NAMES.map((name) => [name, SECTIONS[name].parse(raw[name] ?? {})])) as Settings;

    const { template, directory, ...app } = s.app;
    const source: Source = directory !== undefined ? { directory: path.resolve(opts.projectDir ?? process.cwd(), directory) } : { template: template ?? "node-http" };
    // Checks across settings, and of what is only known here.
    const table = realtime.shape.table.safeParse(`${s.database.schema}.${s.realtime.table}`);
    const limit = s.billing.monthlyLimitUsd === null ? undefined : limitBelowRefill({ refillAmountUsd: s.billing.refillAmountUsd, monthlyLimitUsd: s.billing.monthlyLimitUsd });
    const missing = source.directory !== undefined && !fs.statSync(source.directory, { throwIfNoEntry: false })?.isDirectory();
    const across = [
        ...(table.success ? [] : [`flow-nexus:realtime.table ${table.error.issues[0].message}`]),
        ...(template !== undefined && directory !== undefined ? ["flow-nexus:app.directory cannot be set with flow-nexus:app.template: set one of them"] : []),
        ...(missing ? [`flow-nexus:app.directory must be an existing directory (got ${JSON.stringify(directory)}, which is ${source.directory})`] : []),
        ...(limit ? [`flow-nexus:billing.monthlyLimitUsd ${limit}`] : []),
    ];
    if (across.length > 0) throw new ConfigError(across);

    const { bucket, ...bucketSettings } = s.storage;
    const { consecutiveFailures, latencyMs, alerts, ...monitoring } = s.monitoring;
    return {
        user: s.user,
        sandbox: s.sandbox,
        storage: { name: bucket, ...bucketSettings },
        database: { ...s.database, migrations: s.database.migrations ?? (opts.migrations ?? defaultMigrations)() },
        realtime: s.realtime,
        app: { source, ...app },
        monitoring: { ...monitoring, thresholds: { consecutiveFailures, latencyMs }, alerts: alerts ?? opts.defaultAlerts ?? [] },
        backends: s.backends,
        billing: { ...s.billing, monthlyLimitUsd: s.billing.monthlyLimitUsd ?? undefined },
    };
}
