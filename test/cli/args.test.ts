/** The CLI's command line: finding the command, its options, and the values options take. */
import { strict as assert } from "assert";
import { CommandSpec, parseCount, parseDuration, parseMonth, parseSince } from "../../cli/args";
import { ExitCode, UsageError } from "../../cli/errors";
import { parseCommandLine } from "../../cli/program";

const SPECS: CommandSpec[] = [
    { name: "status", summary: "health" },
    { name: "logs", summary: "logs", args: "[app|watchdog]", options: { follow: { type: "boolean", short: "f", description: "follow" }, lines: { type: "string", short: "n", description: "lines" } } },
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

describe("cli: the command line, on commander", function () {
    const run = (argv: string[]) => {
        const parsed = parseCommandLine(argv, SPECS);
        assert.equal(parsed.help, false);
        return parsed as Extract<typeof parsed, { help: false }>;
    };
    const help = (argv: string[]) => {
        const parsed = parseCommandLine(argv, SPECS);
        assert.equal(parsed.help, true);
        return (parsed as Extract<typeof parsed, { help: true }>).text;
    };

    it("finds a one-word command and the common options, wherever they are", function () {
        const parsed = run(["--stack", "prod", "status", "--json"]);
        assert.equal(parsed.command.name, "status");
        assert.deepEqual(parsed.options, { stack: "prod", json: true });
    });

    it("finds a group's command and its own options", function () {
        const parsed = run(["billing", "refill", "--stack=dev", "--retry"]);
        assert.equal(parsed.command.name, "billing refill");
        assert.deepEqual(parsed.options, { stack: "dev", retry: true });
    });

    it("keeps an option's own name (--dry-run, not dryRun)", function () {
        const specs: CommandSpec[] = [{ name: "cleanup", summary: "c", options: { "dry-run": { type: "boolean", description: "d" }, "older-than": { type: "string", description: "o" } } }];
        const parsed = parseCommandLine(["cleanup", "--dry-run", "--older-than", "7d"], specs);
        assert.deepEqual(parsed.help === false && parsed.options, { "dry-run": true, "older-than": "7d" });
    });

    it("takes arguments and short options", function () {
        const parsed = run(["logs", "app", "-f", "-n", "5"]);
        assert.deepEqual(parsed.args, ["app"]);
        assert.deepEqual(parsed.options, { follow: true, lines: "5" });
    });

    it("an unknown command, group command or option is a usage error that names it", function () {
        assert.equal(usageError(() => parseCommandLine(["deploy"], SPECS)).message, "unknown command 'deploy' (see flow-nexus --help)");
        assert.equal(usageError(() => parseCommandLine(["billing", "pay"], SPECS)).message, "unknown command 'pay' (see flow-nexus --help)");
        assert.equal(usageError(() => parseCommandLine(["status", "--retry"], SPECS)).message, "unknown option '--retry' (see flow-nexus status --help)");
    });

    it("a missing option value, or too many arguments, is a usage error", function () {
        assert.match(usageError(() => parseCommandLine(["audit", "--since"], SPECS)).message, /option '--since <value>' argument missing \(see flow-nexus audit --help\)/);
        assert.match(usageError(() => parseCommandLine(["status", "extra"], SPECS)).message, /too many arguments for 'status'/);
        assert.match(usageError(() => parseCommandLine(["logs", "app", "watchdog"], SPECS)).message, /too many arguments for 'logs'. Expected 1 argument but got 2/);
    });

    it("--help, `help <command>`, a bare group and no command at all give help", function () {
        assert.match(help([]), /^Usage: flow-nexus <command> \[options\]/);
        assert.match(help(["status", "--help"]), /^Usage: flow-nexus status \[options\]/);
        assert.match(help(["help", "billing", "refill"]), /^Usage: flow-nexus billing refill \[options\]/);
        assert.match(help(["billing", "-h"]), /^Usage: flow-nexus billing \[options\] \[command\]/);
        assert.match(help(["billing"]), /^Usage: flow-nexus billing/);
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
    it("lists every command and states the exit codes", function () {
        const text = (parseCommandLine(["--help"], SPECS) as { text: string }).text;
        assert.match(text, /^ {2}status\s+health$/m);
        assert.match(text, /^ {2}billing\s+billing commands: balance, refill$/m);
        assert.match(text, /exit codes: 0 ok, 1 unhealthy or failed, 2 usage error, 3 stack not found or never deployed, 4 a service down/);
    });

    it("a command's help shows its usage, options and the common ones", function () {
        const text = (parseCommandLine(["logs", "--help"], SPECS) as { text: string }).text;
        assert.match(text, /^Usage: flow-nexus logs \[options\] \[app\|watchdog\]$/m);
        assert.match(text, /^ {2}-f, --follow\s+follow$/m);
        assert.match(text, /^ {2}-s, --stack <name>\s+the stack to work on/m);
    });
});
