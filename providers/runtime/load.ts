/**
 * TypeScript for flow-nexus's own long-running processes: the loader they
 * `--require`, and how a backend starts one.
 */
import * as path from "path";
import type { ProcessRef } from "./process";

/**
 * The `--require` script that gives a Node.js process the same TypeScript
 * loading, for the sandbox supervisors and the watchdogs (ts-node would keep
 * the whole compiler in each of them).
 */
export function typeScriptRegister(): string {
    return path.join(__dirname, "ts-register.js");
}

/**
 * Starts one of the platform's long-running TypeScript processes (a sandbox
 * supervisor, a watchdog): detached, so it outlives the provider process,
 * with a minimal environment and its output in `logFile`.
 */
export async function spawnTypeScriptProcess(entry: string, args: readonly string[], opts: { cwd: string; logFile: string }): Promise<ProcessRef> {
    const { spawnDetached } = await import("./process");
    return spawnDetached(process.execPath, ["--enable-source-maps", "--require", typeScriptRegister(), entry, ...args], {
        cwd: opts.cwd,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        logFile: opts.logFile,
    });
}
