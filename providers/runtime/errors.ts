/**
 * Errors a provider throws to refuse an operation, and how they are shown.
 *
 * The dynamic-provider host prints `${error}: ${error.stack}` on its stderr
 * before it reports the error to the engine, which shows it again under the
 * resource: a refusal would read twice, with a stack trace. A refusal is an
 * answer, not a crash, so the host's copy is dropped and the engine's stays.
 */
const SHOWN_BY_ENGINE = "\u2063flow-nexus-refusal";

/** A delete (or replace) refused because the object holds data: its message says what, and how to go ahead anyway. */
export class DataKeptError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "DataKeptError";
        this.stack = SHOWN_BY_ENGINE;
    }
}

// Once per process: the provider process loads this module before it can throw one.
const marker = Symbol.for("flow-nexus.quiet-refusals");
const host = console as Console & { [marker]?: true };
if (!host[marker]) {
    host[marker] = true;
    const print = console.error.bind(console);
    console.error = (...args: unknown[]) => {
        if (args.length === 1 && typeof args[0] === "string" && args[0].endsWith(SHOWN_BY_ENGINE)) return;
        print(...args);
    };
}
