/**
 * Input validation for the providers' `check`: rules that name the property
 * and what is allowed, so bad input fails at preview, before any backend runs.
 *
 * This module travels inside every serialized provider, so it stays small
 * and pure: no imports, no regular-expression objects captured at module
 * level (patterns are strings).
 */
import type * as pulumi from "@pulumi/pulumi";

/** The value the engine sends for an input that is not known until apply. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A rule returns why a value is not allowed, or undefined when it is. */
export type Rule = (value: unknown) => string | undefined;

/** Applies each property's rule; unknown values are judged later, at apply. */
export function checkProps(props: Record<string, unknown>, rules: Record<string, Rule>): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    for (const [property, rule] of Object.entries(rules)) {
        const value = props[property];
        if (value === UNKNOWN) continue;
        const reason = rule(value);
        if (reason) failures.push({ property, reason: `${property} ${reason}` });
    }
    return failures;
}

/** The first reason any of the rules gives, in order. */
export function all(...rules: Rule[]): Rule {
    return (value) => {
        for (const rule of rules) {
            const reason = rule(value);
            if (reason) return reason;
        }
        return undefined;
    };
}

/** Makes a rule accept `undefined` (the property takes its default). */
export function optional(rule: Rule): Rule {
    return (value) => (value === undefined || value === null ? undefined : rule(value));
}

export function text(opts: { pattern?: string; allowed?: string; maxLength?: number } = {}): Rule {
    return (value) => {
        if (typeof value !== "string" || value.length === 0) return "must be a non-empty string";
        if (opts.maxLength !== undefined && value.length > opts.maxLength) {
            return `must be at most ${opts.maxLength} characters (got ${value.length})`;
        }
        if (opts.pattern !== undefined && !new RegExp(opts.pattern).test(value)) {
            return `must be ${opts.allowed ?? `of the form /${opts.pattern}/`} (got ${JSON.stringify(value)})`;
        }
        return undefined;
    };
}

export function integer(min: number, max: number, unit = ""): Rule {
    return (value) =>
        typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
            ? undefined
            : `must be a whole number from ${min} to ${max}${unit} (got ${JSON.stringify(value)})`;
}

export function boolean(): Rule {
    return (value) => (typeof value === "boolean" ? undefined : `must be true or false (got ${JSON.stringify(value)})`);
}

export function oneOf(values: readonly string[]): Rule {
    return (value) =>
        typeof value === "string" && values.includes(value)
            ? undefined
            : `must be one of ${values.join(", ")} (got ${JSON.stringify(value)})`;
}

/** A list whose every item passes `item`; the reason names the index. */
export function list(item: Rule, opts: { minItems?: number } = {}): Rule {
    return (value) => {
        if (!Array.isArray(value)) return "must be a list";
        if (opts.minItems !== undefined && value.length < opts.minItems) {
            return `must have at least ${opts.minItems} item${opts.minItems === 1 ? "" : "s"}`;
        }
        for (let i = 0; i < value.length; i++) {
            if (value[i] === UNKNOWN) continue;
            const reason = item(value[i]);
            if (reason) return `[${i}] ${reason}`;
        }
        return undefined;
    };
}

/** The `backend` input: one of the kinds this resource has a backend for. */
export function backendKind(kinds: readonly string[]): Rule {
    return (value) => {
        const kind = (value as { kind?: unknown } | undefined)?.kind;
        return typeof kind === "string" && kinds.includes(kind)
            ? undefined
            : `kind must be one of ${kinds.join(", ")} for this resource (got ${JSON.stringify(kind)})`;
    };
}

/**
 * A map of names to strings (environment variables, metadata). Keys must
 * match `keyPattern` when given, described by `keyAllowed`.
 */
export function stringMap(opts: { keyPattern?: string; keyAllowed?: string } = {}): Rule {
    return (value) => {
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            return `must be a map of names to strings (got ${JSON.stringify(value)})`;
        }
        for (const [key, item] of Object.entries(value)) {
            if (opts.keyPattern !== undefined && !new RegExp(opts.keyPattern).test(key)) {
                return `key ${JSON.stringify(key)} must be ${opts.keyAllowed ?? `of the form /${opts.keyPattern}/`}`;
            }
            if (item !== UNKNOWN && typeof item !== "string") {
                return `[${JSON.stringify(key)}] must be a string (got ${JSON.stringify(item)})`;
            }
        }
        return undefined;
    };
}

/** The optional `billing` input: an account and an hourly rate in credits. */
export function billingRef(): Rule {
    return optional((value) => {
        const ref = value as { account?: unknown; creditsPerHour?: unknown };
        if (typeof ref !== "object" || ref === null) return "must be { account, creditsPerHour }";
        if (ref.account !== UNKNOWN && (typeof ref.account !== "string" || ref.account === "")) return "account must be a non-empty string";
        const rate = ref.creditsPerHour;
        if (rate !== UNKNOWN && (typeof rate !== "number" || !(rate >= 0 && rate <= 1000))) {
            return `creditsPerHour must be a number of credits from 0 to 1000 (got ${JSON.stringify(rate)})`;
        }
        return undefined;
    });
}
