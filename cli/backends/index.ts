/** Picks the operations for a stack's backend kind. */
import { CliError } from "../errors";
import { backendKind, BackendKind, StackOutputs } from "../outputs";
import { cloudBackend, StackConfig } from "./cloud";
import { localBackend } from "./local";
import type { PlatformBackend } from "./types";

export type { AuditRecord, BalanceReport, ChangeEvent, Health, LogSource, MonitorHistory, PlatformBackend, ServiceCheck, UsageReport } from "./types";

/**
 * One factory per backend kind: the local one works on the stack's data
 * folder; the cloud one (E2B, Supabase, Stripe) with the credentials from
 * the stack's config, which `config` reads (`pulumi config --show-secrets`).
 */
const FACTORIES: Partial<Record<BackendKind, (dataDir: string, stack: string, config: () => Promise<StackConfig>) => PlatformBackend>> = {
    local: localBackend,
    cloud: cloudBackend,
};

/** The stack's backend, or a one-line error for a kind the CLI cannot operate yet. */
export function backendFor(outputs: StackOutputs, dataDir: string, stack: string, command: string, config: () => Promise<StackConfig>): PlatformBackend {
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
    return factory(dataDir, stack, config);
}
