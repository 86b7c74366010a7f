/**
 * The thin provider that Pulumi serializes into state.
 *
 * Pulumi stores a dynamic provider's code, serialized with everything it
 * captures, in the state of every resource it manages, and evaluates it in a
 * plain Node.js process with no TypeScript support. A real provider
 * serialized that way would put its validation and backends in each
 * resource's state. So the provider Pulumi sees is a shell that names the
 * resource's type and forwards every call to that type's provider, found
 * through `providers/registry.ts` and loaded from its TypeScript source.
 */
import type * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import type { ProcessRef } from "./process";

type Registry = { providerOf(type: string): pulumi.dynamic.ResourceProvider };

// Plain JavaScript, so that a Node.js process can `--require` it before it
// can load any TypeScript (ts-register.js); the serialized shell carries it.
const { installTypeScriptHook } = require("./ts-hook") as { installTypeScriptHook(): void };

/** Requires a TypeScript module from the provider process. */
export function loadModule<T>(file: string): T {
    installTypeScriptHook();
    return require(file) as T;
}

/**
 * The `--require` script that gives a Node.js process the same TypeScript
 * loading, for the sandbox supervisors and the watchdogs (ts-node would keep
 * the whole compiler in each of them).
 */
export function typeScriptRegister(): string {
    return path.join(__dirname, "ts-register.js");
}

/**
 * The provider to hand to `dynamic.Resource` for resource type `type` (as
 * `providers/registry.ts` names it): it forwards to that type's provider,
 * found through the registry, so the state names no provider file. Create
 * one per resource type and share it: Pulumi caches a provider's
 * serialization by object identity.
 */
export function forwardingProvider(type: string): pulumi.dynamic.ResourceProvider {
    // The engine starts programs and providers in the program's directory, so
    // a relative path keeps working when the checkout moves, and keeps this
    // machine's paths out of the state.
    const registry = path.relative(process.cwd(), path.join(__dirname, "..", "registry"));
    const target = () => loadModule<Registry>(require("path").resolve(registry)).providerOf(type);
    return {
        configure: async (req) => target().configure?.(req),
        check: async (olds, news) => target().check!(olds, news),
        diff: async (id, olds, news) => target().diff!(id, olds, news),
        create: async (inputs) => target().create(inputs),
        read: async (id, props) => target().read!(id, props),
        update: async (id, olds, news) => target().update!(id, olds, news),
        delete: async (id, props) => target().delete!(id, props),
    };
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
