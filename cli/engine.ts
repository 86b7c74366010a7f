/**
 * The Pulumi engine, as the CLI uses it: every fact about a stack (its
 * outputs, its state, its age) comes from `pulumi` itself, run in the
 * project's local workspace (engine/local.mjs's `localEnv`, which keeps any
 * PULUMI_BACKEND_URL, PULUMI_HOME or passphrase already set: CI and tests
 * point it elsewhere). The engine is made ready by engine/bootstrap.mjs.
 */
import { spawn } from "child_process";
import { existsSync, promises as fs, readFileSync } from "fs";
import * as path from "path";
import { fileURLToPath } from "url";
import { CliError, ExitCode, UsageError } from "./errors";
import type { StackOutputs } from "./outputs";

/** engine/bootstrap.mjs and engine/local.mjs, as far as the CLI uses them. */
interface EngineModules {
    ensureEngine(opts: { log?: (message: string) => void }): { binDir: string; version: string; source: string };
    localEnv(binDir: string, base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
}

/** How one `pulumi` command ended. */
export interface EngineResult {
    code: number;
    stdout: string;
    stderr: string;
}

/** A resource of the stack's state, as `pulumi stack export` shows it. */
export interface StateResource {
    urn: string;
    type: string;
    id?: string;
    outputs?: Record<string, unknown>;
}

/** What `pulumi stack export` says about a stack, as far as cleanup needs it. */
export interface StackState {
    resources: StateResource[];
    /** Operations an update started and did not finish (it runs, or it was killed). */
    pending: Array<{ urn: string; type: string; operation: string }>;
}

/** One stack of `pulumi stack ls --json`. */
export interface StackSummary {
    name: string;
    /** ISO time; absent when the backend records none. */
    lastUpdate?: string;
    resourceCount?: number;
}

/** Who holds a file backend's lock on a stack (Pulumi's own lock file). */
export interface StackLock {
    file: string;
    pid: number;
    hostname: string;
    username?: string;
    timestamp?: string;
}

/** The project's name, from its Pulumi.yaml. */
export function projectName(projectDir: string): string {
    const file = path.join(projectDir, "Pulumi.yaml");
    if (!existsSync(file)) throw new UsageError(`${projectDir} is not a Pulumi project (no Pulumi.yaml): pass --cwd <the flow-nexus project directory>`);
    const name = /^name:\s*["']?([^\s"'#]+)/m.exec(readFileSync(file, "utf8"))?.[1];
    if (!name) throw new CliError(`${file} has no project name`);
    return name;
}

/** The last meaningful line of a failed command's stderr, for a one-line error. */
function lastLine(text: string): string {
    const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
    return lines.at(-1)?.replace(/^error:\s*/, "") ?? "no output";
}

/** Runs `pulumi` for the project in `projectDir`, in its local workspace. */
export class Engine {
    private env: NodeJS.ProcessEnv | undefined;

    constructor(
        readonly projectDir: string,
        private readonly progress: (message: string) => void,
        private readonly baseEnv: NodeJS.ProcessEnv = process.env,
    ) {}

    /** The environment every `pulumi` runs with: the engine on PATH, the local workspace unless set otherwise. */
    environment(): NodeJS.ProcessEnv {
        if (this.env) return this.env;
        const file = (name: string) => path.join(this.projectDir, "engine", name);
        if (!existsSync(file("local.mjs")) || !existsSync(file("bootstrap.mjs"))) {
            throw new UsageError(`${this.projectDir} is not a flow-nexus project (no engine/local.mjs): pass --cwd <the flow-nexus project directory>`);
        }
        // require(esm) works from Node 20.19: the ES modules load into this CommonJS program.
        const { ensureEngine } = require(file("bootstrap.mjs")) as EngineModules;
        const { localEnv } = require(file("local.mjs")) as EngineModules;
        let engine;
        try {
            engine = ensureEngine({ log: (m) => this.progress(m) });
        } catch (err) {
            throw new CliError((err as Error).message);
        }
        this.env = localEnv(engine.binDir, this.baseEnv);
        return this.env;
    }

    /** The backend URL the engine uses, e.g. `file:///…/.flow-nexus/state`. */
    backendUrl(): string {
        return this.environment().PULUMI_BACKEND_URL ?? "the default backend";
    }

    /** Runs `pulumi <args>` in the project directory and returns how it ended (never throws for an exit code). */
    run(args: readonly string[], opts: { onStderr?: (chunk: string) => void } = {}): Promise<EngineResult> {
        const env = this.environment();
        return new Promise((resolve, reject) => {
            const child = spawn("pulumi", [...args, "--non-interactive"], { cwd: this.projectDir, env, stdio: ["ignore", "pipe", "pipe"] });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
            child.stderr.on("data", (chunk: Buffer) => {
                stderr += chunk;
                opts.onStderr?.(chunk.toString());
            });
            child.on("error", reject);
            child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
        });
    }

    /** Runs `pulumi <args>`; a failure becomes a one-line CliError (exit 3 when the stack does not exist). */
    async runOrFail(args: readonly string[], stack?: string): Promise<string> {
        const result = await this.run(args);
        if (result.code === 0) return result.stdout;
        if (stack && /no stack named '[^']*' found/.test(result.stderr)) throw this.stackNotFound(stack);
        throw new CliError(`pulumi ${args.slice(0, 2).join(" ")} failed: ${lastLine(result.stderr || result.stdout)}`);
    }

    /** The error for a stack the backend does not have. */
    stackNotFound(stack: string): CliError {
        return new CliError(`stack ${stack} not found in ${this.backendUrl()} (list the stacks with: npm run pulumi -- stack ls)`, ExitCode.NoStack);
    }

    /** The stack's outputs, secrets masked; exit 3 when the stack is unknown or was never deployed. */
    async outputs(stack: string): Promise<StackOutputs> {
        this.progress(`reading the outputs of stack ${stack}…`);
        const stdout = await this.runOrFail(["stack", "output", "--json", "--show-secrets=false", "--stack", stack], stack);
        const outputs = JSON.parse(stdout || "{}") as StackOutputs;
        if (Object.keys(outputs).length === 0) {
            throw new CliError(
                `stack ${stack} has no outputs: it was never deployed, or was destroyed (deploy it with: FLOW_NEXUS_STACK=${stack} npm run up)`,
                ExitCode.NoStack,
            );
        }
        return outputs;
    }

    /** The stack's config with its secrets in plain text (`pulumi config --json --show-secrets`): kept in memory, never printed. */
    async config(stack: string): Promise<Record<string, { value?: string; secret?: boolean }>> {
        const stdout = await this.runOrFail(["config", "--json", "--show-secrets", "--stack", stack], stack);
        return JSON.parse(stdout || "{}") as Record<string, { value?: string; secret?: boolean }>;
    }

    /** The stack's state; undefined when the backend has no such stack. */
    async state(stack: string): Promise<StackState | undefined> {
        this.progress(`reading the state of stack ${stack}…`);
        const result = await this.run(["stack", "export", "--stack", stack]);
        if (result.code !== 0) {
            if (/no stack named '[^']*' found/.test(result.stderr)) return undefined;
            throw new CliError(`pulumi stack export failed: ${lastLine(result.stderr)}`);
        }
        const deployment = (JSON.parse(result.stdout) as { deployment?: Record<string, unknown> }).deployment ?? {};
        const resources = ((deployment.resources as StateResource[] | undefined) ?? []).map(({ urn, type, id, outputs }) => ({ urn, type, id, outputs }));
        const pending = ((deployment.pending_operations as Array<{ resource: StateResource; type: string }> | undefined) ?? []).map((op) => ({
            urn: op.resource.urn,
            type: op.resource.type,
            operation: op.type,
        }));
        return { resources, pending };
    }

    /** The project's stacks in the backend. */
    async stacks(): Promise<StackSummary[]> {
        return JSON.parse((await this.runOrFail(["stack", "ls", "--json"])) || "[]") as StackSummary[];
    }

    /**
     * The lock files a file backend holds for the stack: an update runs, or
     * one was killed (then `pulumi cancel` removes them). Other backends
     * guard their own updates; for them this is empty.
     */
    async locks(stack: string): Promise<StackLock[]> {
        const url = this.backendUrl();
        if (!url.startsWith("file://")) return [];
        const root = path.join(fileURLToPath(url), ".pulumi", "locks");
        const dirs = [path.join(root, "organization", projectName(this.projectDir), stack), path.join(root, stack)];
        const locks: StackLock[] = [];
        for (const dir of dirs) {
            const files = await fs.readdir(dir).catch(() => [] as string[]);
            for (const name of files.filter((f) => f.endsWith(".json"))) {
                const content = JSON.parse(await fs.readFile(path.join(dir, name), "utf8").catch(() => "{}")) as Partial<StackLock>;
                locks.push({ file: path.join(dir, name), pid: content.pid ?? 0, hostname: content.hostname ?? "?", username: content.username, timestamp: content.timestamp });
            }
        }
        return locks;
    }
}
