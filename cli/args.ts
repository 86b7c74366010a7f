/**
 * What a command is (its name, options and help, for ./program), and the
 * values options take (durations, times, counts). Pure functions, so the
 * unit tests call them directly.
 */
import { UsageError } from "./errors";

/** One option of a command, as help shows it. */
export interface OptionSpec {
    type: "string" | "boolean";
    short?: string;
    /** The value's placeholder in help, e.g. `<dir>`. */
    value?: string;
    description: string;
}

/** What a command is, for parsing and help. */
export interface CommandSpec {
    /** One word, or a group and a word: `status`, `billing refill`. */
    name: string;
    /** One line for the list of commands. */
    summary: string;
    /** Its arguments in help, e.g. `[app|watchdog]`. */
    args?: string;
    options?: Record<string, OptionSpec>;
    /** Paragraphs of help after the options. */
    details?: string;
}

/** Options every command takes. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
    stack: { type: "string", short: "s", value: "<name>", description: "the stack to work on (default: $FLOW_NEXUS_STACK, else dev)" },
    cwd: { type: "string", value: "<dir>", description: "the project directory (default: the flow-nexus package this CLI belongs to)" },
    json: { type: "boolean", description: "print JSON on stdout, for scripts (progress still goes to stderr)" },
    help: { type: "boolean", short: "h", description: "show help" },
};

export type OptionValues = Record<string, string | boolean | undefined>;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A duration such as `30m`, `1h`, `7d`, `2w` or `1h30m`, in milliseconds.
 * `what` names the option in the error, e.g. `--older-than`.
 */
export function parseDuration(text: string, what = "duration"): number {
    const trimmed = text.trim();
    const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
    let total = 0;
    let end = 0;
    for (let match = part.exec(trimmed); match; match = part.exec(trimmed)) {
        total += Number(match[1]) * UNIT_MS[match[2]];
        end = part.lastIndex;
    }
    if (trimmed === "" || end !== trimmed.length || total <= 0) {
        throw new UsageError(`${what} must be a duration such as 30m, 1h, 7d or 1h30m (got ${JSON.stringify(text)})`);
    }
    return total;
}

/** A point in time: an ISO date or time (`2025-06-01`, `2025-06-01T12:00:00Z`), or a duration ago (`1h`, `30m`). */
export function parseSince(text: string, now: Date, what = "--since"): Date {
    if (/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
        const at = new Date(text.trim());
        if (!Number.isNaN(at.getTime())) return at;
        throw new UsageError(`${what} must be an ISO date or time, or a duration such as 1h or 30m (got ${JSON.stringify(text)})`);
    }
    try {
        return new Date(now.getTime() - parseDuration(text, what));
    } catch {
        throw new UsageError(`${what} must be an ISO date or time, or a duration such as 1h or 30m (got ${JSON.stringify(text)})`);
    }
}

/** A whole number from `min` to `max`, e.g. for `--lines`. */
export function parseCount(text: string, what: string, min = 1, max = 100_000): number {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw new UsageError(`${what} must be a whole number from ${min} to ${max} (got ${JSON.stringify(text)})`);
    return n;
}

/** A calendar month, YYYY-MM. */
export function parseMonth(text: string, what = "--month"): string {
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(text)) throw new UsageError(`${what} must be a month as YYYY-MM, e.g. 2025-06 (got ${JSON.stringify(text)})`);
    return text;
}

/** A positive number, e.g. of credits. */
export function parsePositive(text: string, what: string): number {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n) || n <= 0) throw new UsageError(`${what} must be a positive number (got ${JSON.stringify(text)})`);
    return n;
}
