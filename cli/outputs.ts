/**
 * The stack outputs the CLI reads (stacks/index.ts exports them under the
 * process's memory-key names). Every field is optional: a program may
 * provision only some phases, and a command says what it is missing.
 */
import * as path from "path";
import { CliError, ExitCode } from "./errors";

export type BackendKind = "local" | "cloud";

/** What `pulumi stack output --json` returns for a flow-nexus stack. */
export interface StackOutputs {
    userId?: string;
    userProfile?: { id?: string; email?: string; fullName?: string; createdAt?: string; metadata?: Record<string, unknown> };
    platformSettings?: {
        project?: string;
        stack?: string;
        /** The backend of each service (auth, database, sandbox, storage, payments, …). */
        backends?: Partial<Record<string, BackendKind>>;
        sandboxTemplate?: string;
        bucket?: string;
        schema?: string;
    };
    sandboxId?: string;
    subscriptionId?: string;
    schema?: { name?: string; version?: string; applied?: string[]; checksum?: string };
    bucket?: { id?: string; url?: string };
    apiUrl?: string;
    deploymentId?: string;
    app?: { url?: string; healthUrl?: string; status?: string; sourceHash?: string };
    monitoring?: {
        monitorId?: string;
        status?: string;
        intervalSeconds?: number;
        thresholds?: { consecutiveFailures?: number; latencyMs?: number };
        alerts?: string[];
    };
    balance?: { credits?: number; autoRefill?: string; thresholdCredits?: number; monthlyLimitUsd?: number; monthlySpentUsd?: number };
    phase1Complete?: boolean;
    phase2Complete?: boolean;
    phase3Complete?: boolean;
    phase4Complete?: boolean;
    phase5Complete?: boolean;
    workflowComplete?: boolean;
    memory?: Record<string, unknown>;
}

/** The phases of the platform process, by number. */
export const PHASES = [
    { phase: 1, name: "authentication" },
    { phase: 2, name: "services" },
    { phase: 3, name: "deployment" },
    { phase: 4, name: "operations" },
    { phase: 5, name: "billing" },
] as const;

/** The phase gate recorded at the last `up`: `phaseNComplete`. */
export function recordedGate(outputs: StackOutputs, phase: number): boolean | undefined {
    return (outputs as Record<string, unknown>)[`phase${phase}Complete`] as boolean | undefined;
}

/** The stack's data folder: where the program keeps its local backends' data (stacks/settings.ts). */
export function dataDirOf(projectDir: string, stack: string): string {
    return path.join(projectDir, ".flow-nexus", "stacks", stack);
}

/** The backend of the stack's services: cloud when any service is. */
export function backendKind(outputs: StackOutputs): BackendKind {
    const kinds = Object.values(outputs.platformSettings?.backends ?? {});
    return kinds.includes("cloud") ? "cloud" : "local";
}

/** A required output, or a one-line error naming it (exit 3: the stack does not have that part). */
export function requireOutput<T>(value: T | undefined, name: string, stack: string): T {
    if (value === undefined || value === null || value === "") {
        throw new CliError(`stack ${stack} has no ${name} output: that part of the platform is not deployed`, ExitCode.NoStack);
    }
    return value;
}

/** The credit account the stack's billing draws on: the platform's user (components/platform.ts). */
export function accountOf(outputs: StackOutputs, stack: string): string {
    return requireOutput(outputs.userId, "userId", stack);
}
