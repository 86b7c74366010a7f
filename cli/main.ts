/**
 * The `flow-nexus` command: parses the command line, runs one command and
 * turns its outcome into an exit code (see ./errors). Anything thrown ends
 * as one line on stderr, never a stack trace (FLOW_NEXUS_DEBUG=1 shows it).
 */
import { COMMANDS } from "./commands";
import { Context } from "./context";
import { describeError, ExitCode } from "./errors";
import { Output, Streams } from "./output";
import { parseCommandLine } from "./program";

/** Runs the CLI with `argv` (without node and the script) and resolves to the exit code. */
export async function main(argv: readonly string[], streams: Streams = process, env: NodeJS.ProcessEnv = process.env): Promise<number> {
    try {
        const parsed = parseCommandLine(argv, COMMANDS);
        if (parsed.help) {
            streams.stdout.write(parsed.text);
            return ExitCode.Ok;
        }
        const out = new Output(streams, parsed.options.json === true);
        const ctx = new Context(parsed.command, parsed.options, parsed.args, out, env);
        return await parsed.command.run(ctx);
    } catch (err) {
        const { code, message } = describeError(err);
        streams.stderr.write(`flow-nexus: ${message}\n`);
        if (env.FLOW_NEXUS_DEBUG && err instanceof Error && err.stack) streams.stderr.write(`${err.stack}\n`);
        return code;
    }
}
