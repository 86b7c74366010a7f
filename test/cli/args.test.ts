/** The CLI's command line: finding the command, its options, and the values options take. */
import { strict as assert } from "assert";
import { CommandSpec, helpText, parseCommandLine, parseCount, parseDuration, parseMonth, parseSince } from "../../cli/args";
import { ExitCode, UsageError } from "../../cli/errors";

const SPECS: CommandSpec[] = [
    { name: "status", summary: "health", localOnly: true },
    { name: "logs", summary: "logs", args: "[app|watchdog]", maxArgs: 1, options: { follow: { type: "boolean", short: "f", description: "follow" }, lines: { type: "string", short: "n", description: "lines" } } },
    { name: "audit", summary: "audit", options: { since: { type: "string", description: "since" }, resource: { type: "string", short: "r", description: "r" } } },
    { name: "billing balance", summary: "balance" },
    { name: "billing refill", summary: "refill", options: { retry: { type: "boolean", description: "retry" } } },
];

function usageError(fn: () => unknown): UsageError {
    try {
        fn();
    } catch (err) {
        assert.ok(err instanceof UsageError, `expected a UsageError, got ${err}`);
        assert.equal(err.code, ExitCode.Usage);
        return err;
    }
    throw new Error("expected a usage error");
}

describe("cli: parseCommandLine", function () {
    it("finds a one-word command and the common options, wherever they are", function () {
        const parsed = parseCommandLine(["--stack", "prod", "status", "--json"], SPECS);
        assert.equal(parsed.command?.name, "status");
        assert.deepEqual(parsed.options, { stack: "prod", json: true });
        assert.equal(parsed.help, false);
    });

    it("finds a group's command and its own options", function () {
        const parsed = parseCommandLine(["billing", "--stack=dev", "refill", "--retry"], SPECS);
        assert.equal(parsed.command?.name, "billing refill");
        assert.deepEqual(parsed.options, { stack: "dev", retry: true });
    });

    it("takes arguments and short options", function () {
        const parsed = parseCommandLine(["logs", "app", "-f", "-n", "5"], SPECS);
        assert.deepEqual(parsed.args, ["app"]);
        assert.deepEqual(parsed.options, { follow: true, lines: "5" });
    });

    it("does not take an option's value for the command (--since 1h before the command)", function () {
        const parsed = parseCommandLine(["--since", "1h", "audit"], SPECS);
        assert.equal(parsed.command?.name, "audit");
        assert.equal(parsed.options.since, "1h");
    });

    it("an unknown command, group command or option is a usage error that names it", function () {
        assert.match(usageError(() => parseCommandLine(["deploy"], SPECS)).message, /^unknown command deploy \(see flow-nexus --help\)$/);
        assert.match(usageError(() => parseCommandLine(["billing", "pay"], SPECS)).message, /unknown billing command pay: one of balance, refill/);
        assert.match(usageError(() => parseCommandLine(["billing"], SPECS)).message, /flow-nexus billing needs a command: one of balance, refill/);
        assert.equal(usageError(() => parseCommandLine(["status", "--retry"], SPECS)).message, "unknown option --retry for flow-nexus status (see flow-nexus status --help)");
    });

    it("a missing option value, or too many arguments, is a usage error", function () {
        assert.match(usageError(() => parseCommandLine(["audit", "--since"], SPECS)).message, /option --since needs a value/);
        assert.match(usageError(() => parseCommandLine(["status", "extra"], SPECS)).message, /flow-nexus status takes no arguments \(got extra\)/);
        assert.match(usageError(() => parseCommandLine(["logs", "app", "watchdog"], SPECS)).message, /takes at most 1 argument \(got watchdog\)/);
    });

    it("--help, `help <command>` and no command at all ask for help", function () {
        assert.deepEqual(parseCommandLine([], SPECS), { options: {}, args: [], help: true });
        assert.equal(parseCommandLine(["status", "--help"], SPECS).command?.name, "status");
        assert.equal(parseCommandLine(["help", "billing", "refill"], SPECS).command?.name, "billing refill");
        assert.equal(parseCommandLine(["billing", "-h"], SPECS).group, "billing");
        assert.equal(parseCommandLine(["help", "billing"], SPECS).group, "billing");
    });
});

describe("cli: option values", function () {
    it("parseDuration reads 30m, 1h, 7d, 2w and 1h30m", function () {
        assert.equal(parseDuration("30m"), 30 * 60_000);
        assert.equal(parseDuration("1h"), 3_600_000);
        assert.equal(parseDuration("7d"), 7 * 86_400_000);
        assert.equal(parseDuration("2w"), 14 * 86_400_000);
        assert.equal(parseDuration("1h30m"), 90 * 60_000);
        assert.equal(parseDuration("45s"), 45_000);
    });

    it("parseDuration refuses what is not a duration, naming the option", function () {
        for (const bad of ["", "7", "d", "7 days", "-1h", "0m", "1h-"]) {
            assert.match(usageError(() => parseDuration(bad, "--older-than")).message, /^--older-than must be a duration such as 30m, 1h, 7d or 1h30m/, bad);
        }
    });

    it("parseSince takes an ISO time, or a duration ago", function () {
        const now = new Date("2025-06-10T12:00:00Z");
        assert.equal(parseSince("1h", now).toISOString(), "2025-06-10T11:00:00.000Z");
        assert.equal(parseSince("2025-06-01", now).toISOString(), "2025-06-01T00:00:00.000Z");
        assert.equal(parseSince("2025-06-01T08:30:00Z", now).toISOString(), "2025-06-01T08:30:00.000Z");
        assert.match(usageError(() => parseSince("yesterday", now)).message, /--since must be an ISO date or time, or a duration such as 1h or 30m \(got "yesterday"\)/);
        assert.match(usageError(() => parseSince("2025-13-45", now)).message, /--since must be an ISO date/);
    });

    it("parseCount and parseMonth check their range and shape", function () {
        assert.equal(parseCount("5", "--lines"), 5);
        assert.match(usageError(() => parseCount("0", "--lines")).message, /--lines must be a whole number from 1 to 100000 \(got "0"\)/);
        assert.match(usageError(() => parseCount("2.5", "--lines")).message, /--lines must be a whole number/);
        assert.equal(parseMonth("2025-06"), "2025-06");
        assert.match(usageError(() => parseMonth("2025-6")).message, /--month must be a month as YYYY-MM/);
    });
});

describe("cli: help", function () {
    it("lists every command, marks the local-only ones and states the exit codes", function () {
        const text = helpText(SPECS);
        assert.match(text, /^ {2}status\s+health \(local\)$/m);
        assert.match(text, /^ {2}billing refill\s+refill$/m);
        assert.match(text, /exit codes: 0 ok, 1 unhealthy or failed, 2 usage error, 3 stack not found or never deployed, 4 a service down/);
    });

    it("a command's help shows its usage, options and the common ones", function () {
        const text = helpText(SPECS, SPECS[1]);
        assert.match(text, /^usage: flow-nexus logs \[app\|watchdog\] \[options\]$/m);
        assert.match(text, /^ {2}-f, --follow\s+follow$/m);
        assert.match(text, /^ {2}-s, --stack <name>\s+the stack to work on/m);
    });
});
