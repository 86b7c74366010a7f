/**
 * The shape of the stack's `flow-nexus:*` config, checked before any value
 * is: a key that is not a setting (a typo such as `sandbox.tiemoutSeconds`
 * or `flow-nexus:databse`) is an error naming the nearest setting, a `null`
 * is an error rather than a silent default, and a section given as a string
 * is an error rather than a crash. One line a problem, each naming its key.
 */

/**
 * A section's settings: `"value"` a setting, `"nullable"` one where null
 * means something (no monthly limit), `"*"` a map whose keys are the user's
 * own (env vars, metadata), `[shape]` a list of objects.
 */
type Setting = "value" | "nullable" | "*" | readonly [Shape];
type Shape = { readonly [key: string]: Setting | Shape };

const SECTIONS: Record<string, Shape> = {
    user: { email: "value", fullName: "value", metadata: "*" },
    sandbox: { template: "value", timeoutSeconds: "value", envs: "*", metadata: "*", onTimeout: "value", startupScript: "value", ports: "value" },
    storage: { bucket: "value", public: "value", fileSizeLimit: "value", allowedMimeTypes: "value", forceDestroy: "value" },
    database: { schema: "value", migrations: [{ id: "value", sql: "value" }], forceDestroy: "value" },
    realtime: { table: "value", events: "value", filter: "value" },
    app: {
        template: "value",
        directory: "value",
        env: "*",
        installCommand: "value",
        startCommand: "value",
        port: "value",
        healthPath: "value",
        healthTimeoutSeconds: "value",
    },
    monitoring: {
        intervalSeconds: "value",
        consecutiveFailures: "value",
        latencyMs: "value",
        alerts: [{ type: "value", url: "value", path: "value" }],
        restartOnFailure: "value",
    },
    billing: {
        enabled: "value",
        thresholdCredits: "value",
        refillAmountUsd: "value",
        monthlyLimitUsd: "nullable",
        initialCredits: "value",
        creditsPerSandboxHour: "value",
        forceDestroy: "value",
    },
    backends: { auth: "value", sandbox: "value", storage: "value", database: "value", payments: "value" },
};

/** The section names, in the order the README lists them. */
export const SECTION_NAMES = Object.keys(SECTIONS);

/** The edit distance of two keys (Levenshtein), for "did you mean". */
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

function notASetting(key: string, name: string, known: readonly string[]): string {
    const guess = nearest(name, known);
    return `${key} is not a setting (${guess ? `did you mean ${guess}?` : `the settings are ${known.join(", ")}`})`;
}

function kind(value: unknown): string {
    return value === null ? "null" : Array.isArray(value) ? "a list" : typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** The problems of `value` against `shape`, each naming its full config key. */
function problemsIn(key: string, value: unknown, shape: Setting | Shape): string[] {
    if (shape === "nullable") return [];
    if (value === null) return [`${key} is null: set a value, or remove the key to use its default`];
    if (shape === "value") return [];
    if (Array.isArray(shape)) {
        if (!Array.isArray(value)) return [`${key} must be a list (got ${kind(value)})`];
        return value.flatMap((item, i) => problemsIn(`${key}[${i}]`, item, (shape as readonly [Shape])[0]));
    }
    if (typeof value !== "object" || Array.isArray(value)) return [`${key} must be an object (got ${kind(value)})`];
    const entries = Object.entries(value as Record<string, unknown>);
    if (shape === "*") return entries.filter(([, v]) => v === null).map(([k]) => `${key}.${k} is null: set a value, or remove the key`);
    const known = Object.keys(shape);
    return entries.flatMap(([k, v]) => (k in shape ? problemsIn(`${key}.${k}`, v, (shape as Record<string, Shape>)[k]) : [notASetting(`${key}.${k}`, k, known)]));
}

/**
 * Every shape problem of the `<namespace>:*` keys in `config` (key to parsed
 * value); `others` are the namespace's plain keys (the password, credentials).
 */
export function shapeProblems(namespace: string, config: Record<string, unknown>, others: readonly string[]): string[] {
    const keys = [...SECTION_NAMES, ...others];
    return Object.entries(config).flatMap(([full, value]) => {
        const name = full.slice(namespace.length + 1);
        if (name in SECTIONS) {
            if (value === null || typeof value !== "object" || Array.isArray(value)) {
                return [`${full} must be an object with the settings ${Object.keys(SECTIONS[name]).join(", ")} (got ${kind(value)})`];
            }
            return problemsIn(full, value, SECTIONS[name]);
        }
        return others.includes(name) ? [] : [notASetting(full, name, keys)];
    });
}
