/**
 * The stack's typed configuration: every `flow-nexus:*` key with its default,
 * validated with the same rules the providers' `check` applies, so a bad
 * value fails at preview with the config key's name, before anything runs.
 */
import * as fs from "fs";
import * as path from "path";
import { appendOnlyViolation, rules as schemaRules, Migration } from "../providers/schema/resource";
import { EVENTS, rules as realtimeRules } from "../providers/realtime/resource";
import { rules as billingRules } from "../providers/billing/resource";
import { rules as deploymentRules, Source } from "../providers/deployment/resource";
import { AlertChannel, rules as monitorRules } from "../providers/monitor/resource";
import { checkProps, oneOf, Rule } from "../providers/runtime/check";
import { rules as sandboxRules, Template, withDefaults as sandboxDefaults } from "../providers/sandbox/resource";
import { rules as storageRules } from "../providers/storage/resource";
import { rules as userRules } from "../providers/user/resource";

/** The config as read from the stack, before defaults (one object per `flow-nexus:<section>` key). */
export interface RawConfig {
    user?: { email?: string; fullName?: string; metadata?: Record<string, string> };
    sandbox?: {
        template?: string;
        timeoutSeconds?: number;
        envs?: Record<string, string>;
        metadata?: Record<string, string>;
        onTimeout?: string;
        startupScript?: string;
        ports?: number;
    };
    storage?: { bucket?: string; public?: boolean; fileSizeLimit?: number; allowedMimeTypes?: string[]; forceDestroy?: boolean };
    database?: { schema?: string; migrations?: Migration[]; forceDestroy?: boolean };
    realtime?: { table?: string; events?: string[]; filter?: string };
    app?: {
        template?: string;
        directory?: string;
        env?: Record<string, string>;
        installCommand?: string;
        startCommand?: string;
        port?: number;
        healthPath?: string;
        healthTimeoutSeconds?: number;
    };
    monitoring?: {
        intervalSeconds?: number;
        consecutiveFailures?: number;
        latencyMs?: number;
        alerts?: AlertChannel[];
        restartOnFailure?: boolean;
    };
    backends?: Partial<Record<Service, string>>;
    billing?: {
        enabled?: boolean;
        thresholdCredits?: number;
        refillAmountUsd?: number;
        monthlyLimitUsd?: number;
        initialCredits?: number;
        creditsPerSandboxHour?: number;
        forceDestroy?: boolean;
    };
}

/** The platform's services, each on its own backend (flow-nexus:backends). */
export const SERVICES = ["auth", "sandbox", "storage", "database", "payments"] as const;
export type Service = (typeof SERVICES)[number];

/** The validated configuration the platform is built from. */
export interface PlatformConfig {
    user: { email: string; fullName?: string; metadata: Record<string, string> };
    sandbox: {
        template: Template;
        timeoutSeconds: number;
        envs: Record<string, string>;
        metadata: Record<string, string>;
        onTimeout: "kill" | "pause";
        startupScript?: string;
        ports: number;
    };
    storage: { name: string; public: boolean; fileSizeLimit: number; allowedMimeTypes: string[]; forceDestroy: boolean };
    database: { schema: string; migrations: Migration[]; forceDestroy: boolean };
    realtime: { table: string; events: Array<(typeof EVENTS)[number]>; filter?: string };
    app: {
        source: Source;
        env: Record<string, string>;
        installCommand?: string;
        startCommand?: string;
        /** Undefined: the sandbox's first allocated port. */
        port?: number;
        healthPath?: string;
        healthTimeoutSeconds: number;
    };
    monitoring: {
        intervalSeconds: number;
        thresholds: { consecutiveFailures: number; latencyMs: number };
        alerts: AlertChannel[];
        restartOnFailure: boolean;
    };
    backends: Record<Service, "local" | "cloud">;
    billing: {
        enabled: boolean;
        thresholdCredits: number;
        refillAmountUsd: number;
        monthlyLimitUsd?: number;
        initialCredits: number;
        creditsPerSandboxHour: number;
        forceDestroy: boolean;
    };
}

export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid stack config:\n  - ${problems.join("\n  - ")}`);
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

/** Checks one config section with a resource's rules; problems name the full config key. */
function problems(section: string, values: object, rules: Record<string, Rule>, renamed: Record<string, string> = {}): string[] {
    return checkProps(values as Record<string, unknown>, rules).map((f) => {
        const key = renamed[f.property] ?? f.property;
        return `flow-nexus:${section}.${key}${f.reason.slice(f.property.length)}`;
    });
}

function only<T extends object>(rules: T, keys: Array<keyof T>): Record<string, Rule> {
    return Object.fromEntries(keys.map((k) => [k, rules[k]])) as Record<string, Rule>;
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
    const migrations = opts.migrations ?? defaultMigrations;
    // One port by default: the app of phase 3 listens on it.
    const sandbox = sandboxDefaults({ template: "node", ports: 1, ...raw.sandbox } as never);
    const config: PlatformConfig = {
        user: {
            email: raw.user?.email ?? "dev@flow-nexus.local",
            fullName: raw.user?.fullName,
            metadata: raw.user?.metadata ?? {},
        },
        sandbox: sandbox as PlatformConfig["sandbox"],
        storage: {
            name: raw.storage?.bucket ?? "platform-assets",
            public: raw.storage?.public ?? false,
            fileSizeLimit: raw.storage?.fileSizeLimit ?? 50 * 1024 * 1024,
            allowedMimeTypes: raw.storage?.allowedMimeTypes ?? [],
            forceDestroy: raw.storage?.forceDestroy ?? false,
        },
        database: {
            schema: raw.database?.schema ?? "app",
            migrations: raw.database?.migrations ?? migrations(),
            forceDestroy: raw.database?.forceDestroy ?? false,
        },
        realtime: {
            table: raw.realtime?.table ?? "messages",
            events: (raw.realtime?.events ?? ["*"]) as PlatformConfig["realtime"]["events"],
            filter: raw.realtime?.filter,
        },
        app: {
            source:
                raw.app?.directory !== undefined
                    ? { directory: path.resolve(opts.projectDir ?? process.cwd(), raw.app.directory) }
                    : { template: (raw.app?.template ?? "node-http") as "node-http" },
            env: raw.app?.env ?? { APP_MESSAGE: "Hello from flow-nexus" },
            installCommand: raw.app?.installCommand,
            startCommand: raw.app?.startCommand,
            port: raw.app?.port,
            healthPath: raw.app?.healthPath ?? "/health",
            healthTimeoutSeconds: raw.app?.healthTimeoutSeconds ?? 60,
        },
        monitoring: {
            intervalSeconds: raw.monitoring?.intervalSeconds ?? 30,
            thresholds: {
                consecutiveFailures: raw.monitoring?.consecutiveFailures ?? 3,
                latencyMs: raw.monitoring?.latencyMs ?? 2000,
            },
            alerts: raw.monitoring?.alerts ?? opts.defaultAlerts ?? [],
            restartOnFailure: raw.monitoring?.restartOnFailure ?? true,
        },
        backends: Object.fromEntries(SERVICES.map((s) => [s, raw.backends?.[s] ?? "local"])) as PlatformConfig["backends"],
        billing: {
            enabled: raw.billing?.enabled ?? true,
            thresholdCredits: raw.billing?.thresholdCredits ?? 50,
            refillAmountUsd: raw.billing?.refillAmountUsd ?? 10,
            // A key set to null in config means "no limit": the policy pack refuses that.
            monthlyLimitUsd: raw.billing && "monthlyLimitUsd" in raw.billing ? (raw.billing.monthlyLimitUsd ?? undefined) : 50,
            initialCredits: raw.billing?.initialCredits ?? 100,
            creditsPerSandboxHour: raw.billing?.creditsPerSandboxHour ?? 1,
            forceDestroy: raw.billing?.forceDestroy ?? false,
        },
    };

    const duplicate = Array.isArray(config.database.migrations) ? appendOnlyViolation([], config.database.migrations) : undefined;
    // The deployment reads it only at up: a directory that is not there is a config error, named as one.
    const directory = config.app.source.directory;
    const missingDirectory = directory !== undefined && !fs.statSync(directory, { throwIfNoEntry: false })?.isDirectory();
    const found = [
        ...problems("user", config.user, only(userRules, ["email", "fullName", "metadata"])),
        ...(opts.passwordSet
            ? []
            : ["flow-nexus:password must be set, as a secret: pulumi config set --secret flow-nexus:password <12 to 72 characters>"]),
        ...problems("sandbox", config.sandbox, only(sandboxRules, ["template", "timeoutSeconds", "envs", "metadata", "onTimeout", "startupScript", "ports"])),
        ...problems("storage", config.storage, only(storageRules, ["name", "public", "fileSizeLimit", "allowedMimeTypes", "forceDestroy"]), { name: "bucket" }),
        ...problems("database", config.database, only(schemaRules, ["schema", "migrations", "forceDestroy"])),
        // Two migrations with one id would fail halfway through an up: say so at preview.
        ...(duplicate ? [`flow-nexus:database.${duplicate}`] : []),
        ...problems("realtime", { ...config.realtime, table: `${config.database.schema}.${config.realtime.table}` }, only(realtimeRules, ["table", "events", "filter"])),
        ...problems(
            "app",
            { ...config.app, "source.template": config.app.source.template, "source.directory": config.app.source.directory },
            only(deploymentRules, ["source.template", "source.directory", "env", "installCommand", "startCommand", "healthPath", "healthTimeoutSeconds"]),
            { "source.template": "template", "source.directory": "directory" },
        ),
        ...(missingDirectory ? [`flow-nexus:app.directory must be an existing directory (got ${JSON.stringify(raw.app?.directory)}, which is ${directory})`] : []),
        ...(config.app.port === undefined ? [] : problems("app", { port: config.app.port }, only(deploymentRules, ["port"]))),
        // The thresholds are flat config keys: "thresholds latencyMs must..." becomes "latencyMs must...".
        ...problems("backends", config.backends, Object.fromEntries(SERVICES.map((s) => [s, oneOf(["local", "cloud"])]))),
        ...Object.keys(raw.backends ?? {})
            .filter((s) => !SERVICES.includes(s as Service))
            .map((s) => `flow-nexus:backends.${s} is not a service: the services are ${SERVICES.join(", ")}`),
        ...problems("billing", config.billing, only(billingRules, ["enabled", "thresholdCredits", "refillAmountUsd", "monthlyLimitUsd", "initialCredits", "creditsPerSandboxHour", "forceDestroy"])),
        ...(config.billing.monthlyLimitUsd !== undefined && config.billing.monthlyLimitUsd < config.billing.refillAmountUsd
            ? [`flow-nexus:billing.monthlyLimitUsd must be at least one refill (refillAmountUsd ${config.billing.refillAmountUsd}) (got ${config.billing.monthlyLimitUsd})`]
            : []),
        ...problems("monitoring", config.monitoring, only(monitorRules, ["intervalSeconds", "thresholds", "alerts", "restartOnFailure"])).map(
            (p) => p.replace(/^flow-nexus:monitoring\.thresholds (\w+)/, "flow-nexus:monitoring.$1"),
        ),
    ];
    if (found.length > 0) throw new ConfigError(found);
    return config;
}
