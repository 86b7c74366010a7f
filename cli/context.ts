/**
 * What a command runs with: the project, the stack and its data folder, the
 * parsed options, where to print, and (read once, on first use) the stack's
 * outputs and the backend that operates its services.
 */
import * as path from "path";
import { PACKAGE_ROOT } from "../providers/runtime/package";
import type { CommandSpec, OptionValues } from "./args";
import { backendFor, PlatformBackend } from "./backends";
import { Engine } from "./engine";
import { UsageError } from "./errors";
import { Output } from "./output";
import { dataDirOf, StackOutputs } from "./outputs";

/** A command: its spec (for parsing and help) and what it does; resolves to the exit code. */
export interface Command extends CommandSpec {
    run(ctx: Context): Promise<number>;
}



/** Stack names as Pulumi takes them (optionally `org/project/stack`); never a path that leaves the data folder. */
export function checkStackName(name: string): string {
    if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/.test(name) || name.split("/").some((part) => /^\.+$/.test(part))) {
        throw new UsageError(`--stack must be a stack name of letters, digits, hyphens, underscores and dots (got ${JSON.stringify(name)})`);
    }
    return name;
}

export class Context {
    readonly projectDir: string;
    readonly stack: string;
    /** The stack's data folder (`<project>/.flow-nexus/stacks/<stack>`); named by the stack's own name. */
    readonly dataDir: string;
    readonly engine: Engine;
    private outputsRead: Promise<StackOutputs> | undefined;

    constructor(
        readonly command: Command,
        readonly options: OptionValues,
        readonly args: string[],
        readonly out: Output,
        env: NodeJS.ProcessEnv = process.env,
        /** The clock; tests fix it. */
        readonly now: () => Date = () => new Date(),
    ) {
        this.projectDir = path.resolve(this.string("cwd") ?? PACKAGE_ROOT);
        this.stack = checkStackName(this.string("stack") ?? env.FLOW_NEXUS_STACK ?? "dev");
        this.dataDir = dataDirOf(this.projectDir, this.stack.split("/").at(-1)!);
        this.engine = new Engine(this.projectDir, (m) => out.progress(m), env);
    }

    /** A string option's value. */
    string(name: string): string | undefined {
        const value = this.options[name];
        return typeof value === "string" ? value : undefined;
    }

    /** Whether a boolean option was given. */
    flag(name: string): boolean {
        return this.options[name] === true;
    }

    get json(): boolean {
        return this.out.json;
    }

    /** The stack's outputs (secrets masked), read once; exit 3 when there is no such stack or it was never deployed. */
    outputs(): Promise<StackOutputs> {
        this.outputsRead ??= this.engine.outputs(this.stack);
        return this.outputsRead;
    }

    /** The backend that operates the stack's services. */
    async backend(): Promise<PlatformBackend> {
        return backendFor(await this.outputs(), this.dataDir, this.stack, () => this.engine.config(this.stack));
    }
}
