/** Picks the operations for a stack's backend kind. */
import { CliError } from "../errors";
import { backendKind, BackendKind, StackOutputs } from "../outputs";
import { localBackend } from "./local";
import type { PlatformBackend } from "./types";

export type { AuditRecord, BalanceReport, ChangeEvent, Health, LogSource, MonitorHistory, PlatformBackend, ServiceCheck, UsageReport } from "./types";

/**
 * One factory per backend kind. A cloud implementation of PlatformBackend
 * (E2B sandboxes, Supabase storage and database, Stripe payments, with the
 * credentials from `pulumi config --show-secrets`) is registered here.
 */
const FACTORIES: Partial<Record<BackendKind, (dataDir: string, stack: string) => PlatformBackend>> = {
    local: localBackend,
};

/** The stack's backend, or a one-line error for a kind the CLI cannot operate yet. */
export function backendFor(outputs: StackOutputs, dataDir: string, stack: string, command: string): PlatformBackend {
    const kind = backendKind(outputs);
    const factory = FACTORIES[kind];
    if (!factory) {
        const cloud = Object.entries(outputs.platformSettings?.backends ?? {})
            .filter(([, k]) => k === kind)
            .map(([service]) => service);
        throw new CliError(
            `flow-nexus ${command} works on the local backend only, for now: stack ${stack} runs ${cloud.join(", ")} on the ${kind} backend ` +
                "(use the providers' consoles, or pulumi refresh, meanwhile)",
        );
    }
    return factory(dataDir, stack);
}
