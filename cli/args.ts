/**
 * The command line: which command, its options, its arguments; and the
 * values options take (durations, times, counts). Pure functions, so the
 * unit tests call them directly. Parsing is Node's own `util.parseArgs`,
 * strict: an unknown option or a missing value is a usage error (exit 2).
 */
import { parseArgs } from "util";
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
    /** How many arguments it takes; default none. */
    maxArgs?: number;
    options?: Record<string, OptionSpec>;
    /** Works on the local backend only, for now; help says so. */
    localOnly?: boolean;
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

/** A command line, parsed. `command` is absent when none was named (general help). */
export interface ParsedCommandLine<C extends CommandSpec = CommandSpec> {
    command?: C;
    /** A group named without its command (`flow-nexus billing --help`): help lists the group. */
    group?: string;
    options: OptionValues;
    args: string[];
    help: boolean;
}

function optionsOf(spec: CommandSpec | undefined): Record<string, OptionSpec> {
    return { ...COMMON_OPTIONS, ...(spec?.options ?? {}) };
}

/** The words of argv that are not options or option values: the command's name comes first. */
function words(argv: readonly string[], valued: ReadonlySet<string>): Array<{ word: string; index: number }> {
    const found: Array<{ word: string; index: number }> = [];
    for (let i = 0; i < argv.length; i++) {
        const token = argv[i];
        if (token === "--") break;
        if (token.startsWith("-") && token !== "-") {
            // `--stack dev` takes the next token; `--stack=dev` and booleans do not.
            if (!token.includes("=") && valued.has(token)) i++;
            continue;
        }
        found.push({ word: token, index: i });
    }
    return found;
}

function valuedOptions(specs: readonly CommandSpec[]): Set<string> {
    const valued = new Set<string>();
    for (const spec of [undefined, ...specs]) {
        for (const [name, option] of Object.entries(optionsOf(spec))) {
            if (option.type !== "string") continue;
            valued.add(`--${name}`);
            if (option.short) valued.add(`-${option.short}`);
        }
    }
    return valued;
}

function groupsOf(specs: readonly CommandSpec[]): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const spec of specs) {
        const [group, sub] = spec.name.split(" ");
        if (sub) groups.set(group, [...(groups.get(group) ?? []), sub]);
    }
    return groups;
}

/** util.parseArgs's errors, in one line that names the command's help. */
function usageFrom(err: Error & { code?: string }, commandName: string): UsageError {
    const help = `see flow-nexus ${commandName} --help`.replace(/\s+/g, " ");
    const option = /'(-[^' ]+)/.exec(err.message)?.[1];
    switch (err.code) {
        case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
            return new UsageError(`unknown option ${option ?? ""} for flow-nexus ${commandName} (${help})`.replace("  ", " "));
        case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
            return new UsageError(
                /argument missing/.test(err.message) ? `option ${option} needs a value (${help})` : `option ${option} takes no value (${help})`,
            );
        default:
            return new UsageError(`${err.message} (${help})`);
    }
}

/**
 * Finds the command among `specs` (one word, or a group and a word) and
 * parses the common options and the command's own. Throws UsageError for an
 * unknown command or option, a missing value, or too many arguments; with
 * `--help` anywhere it only finds the command.
 */
export function parseCommandLine<C extends CommandSpec>(argv: readonly string[], specs: readonly C[]): ParsedCommandLine<C> {
    const help = argv.includes("--help") || argv.includes("-h");
    const found = words(argv, valuedOptions(specs));
    const groups = groupsOf(specs);
    let command: C | undefined;
    let used: number[] = [];
    if (found[0]?.word === "help") {
        // `help billing refill` is `billing refill --help`.
        const rest = found.slice(1);
        const name = rest.map((w) => w.word).join(" ");
        command = specs.find((s) => s.name === name) ?? specs.find((s) => s.name === rest[0]?.word);
        const group = !command && rest[0] && groups.has(rest[0].word) ? rest[0].word : undefined;
        if (rest.length > 0 && !command && !group) throw new UsageError(`unknown command ${name} (see flow-nexus --help)`);
        return { command, group, options: {}, args: [], help: true };
    }
    if (found.length > 0) {
        const [first, second] = found;
        const subs = groups.get(first.word);
        if (subs) {
            command = second && specs.find((s) => s.name === `${first.word} ${second.word}`);
            if (!command) {
                if (help && !second) return { group: first.word, options: {}, args: [], help: true };
                const what = second ? `unknown ${first.word} command ${second.word}` : `flow-nexus ${first.word} needs a command`;
                throw new UsageError(`${what}: one of ${subs.join(", ")} (see flow-nexus ${first.word} --help)`);
            }
            used = [first.index, second.index];
        } else {
            command = specs.find((s) => s.name === first.word);
            if (!command) throw new UsageError(`unknown command ${first.word} (see flow-nexus --help)`);
            used = [first.index];
        }
    }
    if (help) return { command, options: {}, args: [], help: true };
    if (!command) return { options: {}, args: [], help: true };

    const rest = argv.filter((_, i) => !used.includes(i));
    let parsed: { values: OptionValues; positionals: string[] };
    try {
        const options = Object.fromEntries(
            Object.entries(optionsOf(command)).map(([name, o]) => [name, o.short ? { type: o.type, short: o.short } : { type: o.type }]),
        );
        parsed = parseArgs({ args: [...rest], options, strict: true, allowPositionals: true }) as typeof parsed;
    } catch (err) {
        throw usageFrom(err as Error & { code?: string }, command.name);
    }
    const max = command.maxArgs ?? 0;
    if (parsed.positionals.length > max) {
        const extra = parsed.positionals.slice(max).join(" ");
        throw new UsageError(`flow-nexus ${command.name} takes ${max === 0 ? "no arguments" : `at most ${max} argument${max === 1 ? "" : "s"}`} (got ${extra})`);
    }
    // A plain object: parseArgs returns one without a prototype.
    return { command, options: { ...parsed.values }, args: parsed.positionals, help: false };
}

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

/** The help text of one command, or of the whole CLI when `command` is undefined. */
export function helpText(specs: readonly CommandSpec[], command?: CommandSpec | string): string {
    if (typeof command === "string") {
        // A group: `flow-nexus billing --help`.
        const members = specs.filter((s) => s.name.startsWith(`${command} `));
        return [`usage: flow-nexus ${command} <command> [options]`, "", "commands:", ...list(members)].join("\n") + "\n";
    }
    if (!command) {
        return [
            "flow-nexus: day-2 operations of a flow-nexus platform stack, from its outputs",
            "",
            "usage: flow-nexus <command> [options]",
            "",
            "commands:",
            ...list(specs),
            "",
            "common options:",
            ...optionLines(COMMON_OPTIONS),
            "",
            "exit codes: 0 ok, 1 unhealthy or failed, 2 usage error, 3 stack not found or never deployed, 4 a service down",
            "(local) marks a command that works on the local backend only, for now.",
            "Run flow-nexus <command> --help for a command's options.",
        ].join("\n") + "\n";
    }
    const lines = [`usage: flow-nexus ${command.name}${command.args ? ` ${command.args}` : ""} [options]`, "", command.summary];
    if (command.localOnly) lines.push("Local backend only, for now: a stack with a cloud backend gets a one-line error.");
    if (command.options && Object.keys(command.options).length > 0) lines.push("", "options:", ...optionLines(command.options));
    lines.push("", "common options:", ...optionLines(COMMON_OPTIONS));
    if (command.details) lines.push("", command.details);
    return lines.join("\n") + "\n";
}

function list(specs: readonly CommandSpec[]): string[] {
    const width = Math.max(...specs.map((s) => s.name.length + (s.args ? s.args.length + 1 : 0)));
    return specs.map((s) => {
        const name = `${s.name}${s.args ? ` ${s.args}` : ""}`;
        return `  ${name.padEnd(width)}  ${s.summary}${s.localOnly ? " (local)" : ""}`;
    });
}

function optionLines(options: Record<string, OptionSpec>): string[] {
    const label = (name: string, o: OptionSpec) => `${o.short ? `-${o.short}, ` : "    "}--${name}${o.value ? ` ${o.value}` : ""}`;
    const width = Math.max(...Object.entries(options).map(([n, o]) => label(n, o).length));
    return Object.entries(options).map(([name, o]) => `  ${label(name, o).padEnd(width)}  ${o.description}`);
}
