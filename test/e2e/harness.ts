/**
 * Drives the real Pulumi CLI against a throwaway file backend, the way a
 * user would: every command is the engine's own, and a failed command throws
 * with the engine's own output.
 */
import { execFileSync, spawn } from "child_process";
import { existsSync, promises as fs } from "fs";
import * as os from "os";
import * as path from "path";

export const PROJECT_DIR = path.resolve(__dirname, "..", "..");
export const PROGRAMS_DIR = path.join(__dirname, "programs");

/** Where browser tests write their screenshots (git-ignored). */
export const SCREENSHOTS = path.join(PROJECT_DIR, "test", "output");

/** Debian's chromium (`apt-get install chromium`, as .ci/run does), or CHROMIUM_PATH. */
export function chromiumPath(): string {
    const found = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && existsSync(p));
    if (!found) throw new Error("no Chromium: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH");
    return found;
}

/** The engine's bin directory, made ready by engine/bootstrap.mjs. */
let engineBin: string | undefined;
function engineBinDir(): string {
    engineBin ??= (
        JSON.parse(
            execFileSync(process.execPath, [path.join(PROJECT_DIR, "engine", "bootstrap.mjs"), "--json"], {
                encoding: "utf8",
            }),
        ) as { binDir: string }
    ).binDir;
    return engineBin;
}

export interface CommandResult {
    code: number;
    stdout: string;
    stderr: string;
    /** stdout and stderr together, in the order they were read. */
    output: string;
}

export class CommandError extends Error {
    constructor(
        readonly args: string[],
        readonly result: CommandResult,
    ) {
        super(`pulumi ${args.join(" ")} exited with ${result.code}:\n${result.output}`);
    }
}

export interface StackOptions {
    /** Config to set on the stack: `key` (a path, see setConfig) to value. */
    config?: Record<string, string>;
    /** Config to set as secrets. */
    secrets?: Record<string, string>;
    /** Extra environment for every command. */
    env?: Record<string, string>;
}

/** One stack of one program on its own temporary backend. */
export class TestStack {
    /** What every command of this stack printed, in order: what a user saw in their terminal. */
    readonly transcript: string[] = [];

    private constructor(
        readonly programDir: string,
        readonly workDir: string,
        readonly name: string,
        private readonly env: NodeJS.ProcessEnv,
    ) {}

    /** A stack of the program in `programDir` (a folder name under programs/, or a path). */
    static async create(program: string, options: StackOptions = {}): Promise<TestStack> {
        const programDir = path.isAbsolute(program) ? program : path.join(PROGRAMS_DIR, program);
        const workDir = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-e2e-"));
        await fs.mkdir(path.join(workDir, "state"));
        const name = `e2e-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            PATH: `${engineBinDir()}${path.delimiter}${process.env.PATH}`,
            PULUMI_HOME: path.join(workDir, "home"),
            PULUMI_BACKEND_URL: `file://${path.join(workDir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "e2e-test-passphrase",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            ...options.env,
        };
        const stack = new TestStack(programDir, workDir, name, env);
        await stack.run(["stack", "init", name, "--non-interactive"]);
        for (const [key, value] of Object.entries(options.config ?? {})) await stack.setConfig(key, value);
        for (const [key, value] of Object.entries(options.secrets ?? {})) {
            await stack.run(["config", "set", "--stack", name, "--secret", "--path", key, "--", value]);
        }
        return stack;
    }

    /**
     * Sets one config value; `key` may be a path (`flow-nexus:sandbox.template`,
     * `flow-nexus:database.migrations[0].sql`), and numbers and booleans keep their type.
     */
    async setConfig(key: string, value: string): Promise<void> {
        await this.run(["config", "set", "--stack", this.name, "--path", key, "--", value]);
    }

    async removeConfig(key: string): Promise<void> {
        await this.run(["config", "rm", "--stack", this.name, "--path", key]);
    }

    /** Runs `pulumi <args>`; throws CommandError with the engine's output on a non-zero exit. */
    async run(args: string[], onStart?: (pid: number) => void): Promise<CommandResult> {
        const result = await this.tryRun(args, onStart);
        if (result.code !== 0) throw new CommandError(args, result);
        return result;
    }

    /**
     * Runs `pulumi <args>` and returns the result whatever the exit code;
     * `onStart` gets the CLI's pid (the benchmark samples its processes).
     */
    tryRun(args: string[], onStart?: (pid: number) => void): Promise<CommandResult> {
        return this.exec("pulumi", args, {}, onStart);
    }

    /**
     * Runs any command in the program's folder with this stack's environment
     * (its backend, PULUMI_HOME and passphrase), `env` changing it (a key set
     * to undefined is removed); resolves whatever the exit code.
     */
    exec(file: string, args: string[], env: Record<string, string | undefined> = {}, onStart?: (pid: number) => void): Promise<CommandResult> {
        const merged = Object.fromEntries(Object.entries({ ...this.env, ...env }).filter(([, v]) => v !== undefined));
        return new Promise((resolve, reject) => {
            const child = spawn(file, args, { cwd: this.programDir, env: merged, stdio: ["ignore", "pipe", "pipe"] });
            if (child.pid !== undefined) onStart?.(child.pid);
            let stdout = "";
            let stderr = "";
            let output = "";
            child.stdout.on("data", (chunk: Buffer) => {
                stdout += chunk;
                output += chunk;
            });
            child.stderr.on("data", (chunk: Buffer) => {
                stderr += chunk;
                output += chunk;
            });
            child.on("error", reject);
            child.on("close", (code) => {
                this.transcript.push(output);
                resolve({ code: code ?? 1, stdout, stderr, output });
            });
        });
    }

    private stackArgs(extra: string[]): string[] {
        return ["--stack", this.name, "--non-interactive", ...extra];
    }

    preview(...flags: string[]): Promise<CommandResult> {
        return this.run(["preview", ...this.stackArgs(["--diff", ...flags])]);
    }

    up(...flags: string[]): Promise<CommandResult> {
        return this.run(["up", ...this.stackArgs(["--yes", "--skip-preview", ...flags])]);
    }

    refresh(...flags: string[]): Promise<CommandResult> {
        return this.run(["refresh", ...this.stackArgs(["--yes", "--skip-preview", ...flags])]);
    }

    destroy(...flags: string[]): Promise<CommandResult> {
        return this.run(["destroy", ...this.stackArgs(["--yes", "--skip-preview", ...flags])]);
    }

    async outputs(): Promise<Record<string, any>> {
        const { stdout } = await this.run(["stack", "output", "--json", "--show-secrets", "--stack", this.name]);
        return JSON.parse(stdout) as Record<string, any>;
    }

    /** `pulumi stack export`: the deployment as the backend holds it. */
    async exportState(): Promise<{ deployment: { resources?: Array<Record<string, any>> } }> {
        const { stdout } = await this.run(["stack", "export", "--stack", this.name]);
        return JSON.parse(stdout);
    }

    /** The state's flow-nexus resources of one type, e.g. `StorageBucket`. */
    async resources(typeName: string): Promise<Array<Record<string, any>>> {
        const state = await this.exportState();
        const type = `pulumi-nodejs:dynamic/flownexus:${typeName}`;
        return (state.deployment.resources ?? []).filter((r) => r.type === type);
    }

    /**
     * Destroys what is left (best effort) and removes the stack and its
     * backend. A destroy refused for data the test left (a bucket's objects,
     * rows, payments) is let go through with forceDestroy.
     */
    async dispose(): Promise<void> {
        const destroy = () => this.tryRun(["destroy", ...this.stackArgs(["--yes", "--skip-preview"])]);
        if ((await destroy()).code !== 0) {
            for (const key of ["storage", "database", "billing"]) await this.setConfig(`flow-nexus:${key}.forceDestroy`, "true").catch(() => undefined);
            await this.tryRun(["up", ...this.stackArgs(["--yes", "--skip-preview"])]);
            await destroy();
        }
        await this.tryRun(["stack", "rm", "--yes", "--force", "--stack", this.name]);
        await fs.rm(path.join(this.programDir, `Pulumi.${this.name}.yaml`), { force: true });
        await fs.rm(this.workDir, { recursive: true, force: true });
    }
}

/** The environment that points the `flow-nexus` CLI (or a `pulumi` of our own) at a test stack's throwaway backend. */
export function cliEnv(stack: TestStack, passphrase: string): NodeJS.ProcessEnv {
    return {
        ...process.env,
        PULUMI_HOME: path.join(stack.workDir, "home"),
        PULUMI_BACKEND_URL: `file://${path.join(stack.workDir, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: passphrase,
    };
}

/** How a `flow-nexus` command ended. */
export interface CliRun {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs `flow-nexus <args>` in `cwd`, as a user would, and resolves to how it ended. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<CliRun> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(PROJECT_DIR, "cli", "bin.js"), ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c));
        child.stderr.on("data", (c: Buffer) => (stderr += c));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
}

/** The engine's bin directory (for a `pulumi` the test starts itself). */
export { engineBinDir };
