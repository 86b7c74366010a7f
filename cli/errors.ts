/**
 * Exit codes and the one error type the CLI reports. Scripts branch on the
 * code, people read the one-line message: no command ever prints a stack
 * trace for something the user can fix.
 */

/** What an exit code means; stable, so scripts and CI can act on it. */
export const ExitCode = {
    /** Everything asked for was done, and what was checked is healthy. */
    Ok: 0,
    /** Something is unhealthy, or the operation failed. */
    Failed: 1,
    /** The command line is wrong (unknown command or option, a bad value). */
    Usage: 2,
    /** The stack does not exist, or was never deployed. */
    NoStack: 3,
    /** A service the command needs (or checks) is down. */
    ServiceDown: 4,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error meant for the user: its message is printed as is, then the process exits with `code`. */
export class CliError extends Error {
    constructor(
        message: string,
        readonly code: ExitCode = ExitCode.Failed,
    ) {
        super(message);
        this.name = "CliError";
    }
}

/** A command line the CLI cannot run (exit 2). */
export class UsageError extends CliError {
    constructor(message: string) {
        super(message, ExitCode.Usage);
        this.name = "UsageError";
    }
}

/**
 * The code and message for any error: a CliError keeps its own; an error
 * from a library becomes exit 1 (or 4 when a connection was refused: a
 * service is down), its message only, never its stack.
 */
export function describeError(err: unknown): { code: ExitCode; message: string } {
    if (err instanceof CliError) return { code: err.code, message: err.message };
    const e = err as NodeJS.ErrnoException | undefined;
    const message = (e?.message || String(err)).trim();
    if (e?.code === "ECONNREFUSED") return { code: ExitCode.ServiceDown, message: `a service is down: ${message}` };
    return { code: ExitCode.Failed, message };
}
