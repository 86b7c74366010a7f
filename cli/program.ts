/**
 * The command line, on commander: the commands' specs become commander
 * commands (a group such as `billing` with its subcommands), so routing,
 * option parsing and help are commander's. Nothing exits the process here:
 * a usage error is a UsageError (exit 2) with commander's message in one
 * line; help is returned as text for the caller to print.
 */
import { Command as Commander, CommanderError, Option } from "commander";
import { COMMON_OPTIONS, CommandSpec, OptionSpec, OptionValues } from "./args";
import { UsageError } from "./errors";

/** A command line, parsed: the command with its options and arguments, or the help to print. */
export type ParsedCommandLine<C extends CommandSpec = CommandSpec> =
    | { help: false; command: C; options: OptionValues; args: string[] }
    | { help: true; text: string; command?: C };

const EXIT_CODES = "exit codes: 0 ok, 1 unhealthy or failed, 2 usage error, 3 stack not found or never deployed, 4 a service down";

function optionOf(name: string, spec: OptionSpec): Option {
    const flags = `${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.type === "string" ? ` ${spec.value ?? "<value>"}` : ""}`;
    return new Option(flags, spec.description);
}

/** The program for `specs`; `picked` receives the command that runs. */
function program<C extends CommandSpec>(specs: readonly C[], shown: { text?: string; command?: C }, picked: (c: C, cmd: Commander) => void): Commander {
    // Help goes to stdout, or to stderr when it answers a group named without its command; both are kept.
    const write = (command?: C) => (s: string) => Object.assign(shown, { text: (shown.text ?? "") + s, command });
    const capture = (command?: C) => ({ writeOut: write(command), writeErr: write(command) });
    const root = new Commander("flow-nexus")
        .description("day-2 operations of a flow-nexus platform stack, from its outputs")
        .usage("<command> [options]")
        .exitOverride()
        .configureOutput(capture())
        .configureHelp({ showGlobalOptions: true })
        .helpCommand("help [command...]", "show a command's help")
        .addHelpText("after", `\n${EXIT_CODES}\nRun flow-nexus <command> --help for a command's options.`);
    for (const [name, spec] of Object.entries(COMMON_OPTIONS)) if (name !== "help") root.addOption(optionOf(name, spec));
    root.helpOption("-h, --help", COMMON_OPTIONS.help.description);
    const groups = new Map<string, Commander>();
    for (const spec of specs) {
        const [first, sub] = spec.name.split(" ");
        let parent = root;
        if (sub) {
            if (!groups.has(first)) {
                const members = specs.filter((s) => s.name.startsWith(`${first} `)).map((s) => s.name.split(" ")[1]);
                groups.set(first, root.command(first).description(`${first} commands: ${members.join(", ")}`).exitOverride().configureOutput(capture()));
            }
            parent = groups.get(first)!;
        }
        const cmd = parent
            .command(sub ?? first)
            .summary(spec.summary)
            .description(spec.summary)
            .exitOverride()
            .configureOutput(capture(spec));
        if (spec.args) cmd.argument(spec.args);
        cmd.allowExcessArguments(false);
        for (const [name, option] of Object.entries(spec.options ?? {})) cmd.addOption(optionOf(name, option));
        if (spec.details) cmd.addHelpText("after", `\n${spec.details}`);
        cmd.action((...args: unknown[]) => picked(spec, args.at(-1) as Commander));
    }
    return root;
}

/** Commander's message without its `error: ` prefix, and the help that says more. */
function usageOf(err: CommanderError, argv: readonly string[], specs: readonly CommandSpec[]): UsageError {
    const words = argv.filter((a) => !a.startsWith("-"));
    const spec = specs.find((s) => s.name === words.slice(0, 2).join(" ")) ?? specs.find((s) => s.name === words[0]);
    const help = spec ? `flow-nexus ${spec.name} --help` : "flow-nexus --help";
    return new UsageError(`${err.message.replace(/^error: /, "").replace(/\.$/, "")} (see ${help})`);
}

/**
 * Finds the command among `specs` and parses its options and arguments.
 * Throws UsageError for an unknown command or option, a missing value, or
 * too many arguments; `--help`, `help <command>` or no command give help.
 */
export function parseCommandLine<C extends CommandSpec>(argv: readonly string[], specs: readonly C[]): ParsedCommandLine<C> {
    const shown: { text?: string; command?: C } = {};
    let result: ParsedCommandLine<C> | undefined;
    const root = program(specs, shown, (command, cmd) => {
        // Commander keys `--dry-run` as dryRun: back to the names the specs use.
        const given = cmd.optsWithGlobals();
        const names = Object.entries({ ...COMMON_OPTIONS, ...command.options }).map(([name, spec]) => [name, optionOf(name, spec).attributeName()]);
        const options = Object.fromEntries(names.filter(([, key]) => given[key] !== undefined).map(([name, key]) => [name, given[key]]));
        result = { help: false, command, options, args: [...cmd.args] };
    });
    if (argv.length === 0) return { help: true, text: root.helpInformation() };
    // `help billing refill` is `billing refill --help`, at any depth.
    const words = argv[0] === "help" ? [...argv.slice(1), "--help"] : [...argv];
    try {
        root.parse(words, { from: "user" });
    } catch (err) {
        if (err instanceof CommanderError) {
            if (err.code === "commander.helpDisplayed" || err.code === "commander.help") return { help: true, text: shown.text!, command: shown.command };
            throw usageOf(err, argv, specs);
        }
        throw err;
    }
    return result ?? { help: true, text: root.helpInformation() };
}
