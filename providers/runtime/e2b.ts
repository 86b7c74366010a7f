/**
 * Talking to a live E2B sandbox, for the backends that work inside one
 * (deployments, monitors) and the sandbox backend itself: look it up,
 * connect (refusing a paused one: connecting would resume it, and bill it),
 * run shell commands, read and write files. Every SDK error comes out
 * mapped (./runtime/cloud-errors), never raw.
 */
import type { Sandbox, SandboxInfo } from "e2b";
import { e2bOptions, e2bSdk } from "./clients";
import { e2bError, isNotFound } from "./cloud-errors";

/** The sandbox user's home: the work dir commands run in. */
export const HOME = "/home/user";
/** Where flow-nexus keeps its records inside a sandbox (deployments, monitors, logs). */
export const STATE_DIR = `${HOME}/.flow-nexus`;
/** How long an install or a startup script may run. */
export const LONG_COMMAND_MS = 15 * 60 * 1000;

/** The sandbox's info, or undefined when E2B has no such sandbox (expired, killed, deleted). */
export async function sandboxInfo(sandboxId: string): Promise<SandboxInfo | undefined> {
    const { Sandbox } = await e2bSdk();
    try {
        return await Sandbox.getInfo(sandboxId, e2bOptions());
    } catch (err) {
        const mapped = e2bError(err, `reading E2B sandbox ${sandboxId}`);
        if (isNotFound(mapped)) return undefined;
        throw mapped;
    }
}

/**
 * Connects to a running sandbox; says what to do when it is gone or paused.
 * (Connecting never shortens a running sandbox's life; E2B may extend it to
 * its connect default, which the Sandbox's next read reports.)
 */
export async function connectLive(sandboxId: string): Promise<Sandbox> {
    const info = await sandboxInfo(sandboxId);
    if (!info) throw new Error(`sandbox ${sandboxId} is gone (expired, killed or deleted); run \`pulumi refresh\`, then \`pulumi up\` recreates it and what runs in it`);
    if (info.state === "paused") throw new Error(`sandbox ${sandboxId} is paused; change its timeoutSeconds to resume it`);
    const { Sandbox } = await e2bSdk();
    try {
        return await Sandbox.connect(sandboxId, e2bOptions());
    } catch (err) {
        throw e2bError(err, `connecting to E2B sandbox ${sandboxId}`);
    }
}

/**
 * Runs a clean-up (a delete) in the sandbox: nothing to do when it is gone
 * (its files and processes went with it); a paused one is resumed for the
 * clean-up and paused again, so what was removed never runs again.
 */
export async function cleanUpIn(sandboxId: string, fn: (sandbox: Sandbox) => Promise<void>): Promise<void> {
    const info = await sandboxInfo(sandboxId);
    if (!info) return;
    const { Sandbox } = await e2bSdk();
    let sandbox: Sandbox;
    try {
        sandbox = await Sandbox.connect(sandboxId, e2bOptions());
    } catch (err) {
        throw e2bError(err, `connecting to E2B sandbox ${sandboxId}`);
    }
    try {
        await fn(sandbox);
    } finally {
        // Paused again whatever the clean-up did: a resumed sandbox left running would bill until its timeout.
        if (info.state === "paused") {
            await Sandbox.pause(sandboxId, e2bOptions()).catch((err) => {
                throw e2bError(err, `pausing E2B sandbox ${sandboxId} again`);
            });
        }
    }
}

/** How a foreground command ended. */
export interface ShellResult {
    exitCode: number;
    stdout: string;
    stderr: string;
}

/** `value` as one sh word. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs `bash -lc command` in the sandbox and waits for it. A non-zero exit
 * is a result, not an error; a failure to run it at all is an error.
 */
export async function sh(sandbox: Sandbox, command: string, opts: { cwd?: string; envs?: Record<string, string>; timeoutMs?: number } = {}): Promise<ShellResult> {
    try {
        const result = await sandbox.commands.run(command, { cwd: opts.cwd ?? HOME, envs: opts.envs, timeoutMs: opts.timeoutMs ?? 60_000 });
        return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
    } catch (err) {
        const e = err as { name?: string; exitCode?: number; stdout?: string; stderr?: string };
        if (e?.name === "CommandExitError") return { exitCode: e.exitCode ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
        throw e2bError(err, `running a command in E2B sandbox ${sandbox.sandboxId}`);
    }
}

/** The last lines of a command's output, for error messages. */
export function tail(result: ShellResult, lines = 40): string {
    return `${result.stdout}${result.stderr}`.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Runs a command that must succeed; throws `what` with the tail of its output when it does not. */
export async function mustRun(sandbox: Sandbox, command: string, what: string, opts: Parameters<typeof sh>[2] = {}): Promise<ShellResult> {
    const result = await sh(sandbox, command, opts);
    if (result.exitCode !== 0) throw new Error(`${what} exited with code ${result.exitCode}; the last lines of its output:\n${tail(result)}`);
    return result;
}

/**
 * Starts `bash -lc command` in the background, with no command timeout (the
 * SDK's default of 60 s would end a server), and lets it run on its own:
 * the provider disconnects from its output at once.
 */
export async function startBackground(sandbox: Sandbox, command: string, opts: { cwd?: string; envs?: Record<string, string> } = {}): Promise<number> {
    try {
        const handle = await sandbox.commands.run(command, { background: true, cwd: opts.cwd ?? HOME, envs: opts.envs, timeoutMs: 0 });
        await handle.disconnect();
        return handle.pid;
    } catch (err) {
        throw e2bError(err, `starting a background command in E2B sandbox ${sandbox.sandboxId}`);
    }
}

/** Writes files in one batch upload (parent folders are created). */
export async function writeFiles(sandbox: Sandbox, files: Array<{ path: string; data: string | Buffer }>): Promise<void> {
    if (files.length === 0) return;
    try {
        // Buffers go over as Blobs; the SDK's types name ArrayBuffer.
        await sandbox.files.write(files.map((f) => ({ path: f.path, data: typeof f.data === "string" ? f.data : new Blob([new Uint8Array(f.data)]) })));
    } catch (err) {
        throw e2bError(err, `uploading ${files.length} file${files.length === 1 ? "" : "s"} to E2B sandbox ${sandbox.sandboxId}`);
    }
}

/** A file's text, or undefined when there is no such file. */
export async function readText(sandbox: Sandbox, path: string): Promise<string | undefined> {
    try {
        return await sandbox.files.read(path);
    } catch (err) {
        const mapped = e2bError(err, `reading ${path} in E2B sandbox ${sandbox.sandboxId}`);
        if (isNotFound(mapped)) return undefined;
        throw mapped;
    }
}

/** A JSON file's value, or undefined when there is no such file. */
export async function readJsonFile<T>(sandbox: Sandbox, path: string): Promise<T | undefined> {
    const text = await readText(sandbox, path);
    return text === undefined ? undefined : (JSON.parse(text) as T);
}

/**
 * sh code that stops process `pid` and its descendants: TERM first, KILL
 * what is left after a grace period. A pid that is gone is not an error.
 */
export function stopTreeCommand(pid: number, graceSeconds = 5): string {
    return [
        `tree() { for c in $(pgrep -P "$1" 2>/dev/null); do tree "$c"; done; echo "$1"; }`,
        `pids=$(tree ${pid})`,
        `kill -TERM $pids 2>/dev/null`,
        `for i in $(seq ${graceSeconds * 10}); do alive=; for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done; [ -z "$alive" ] && break; sleep 0.1; done`,
        `kill -KILL $pids 2>/dev/null`,
        `true`,
    ].join("\n");
}
