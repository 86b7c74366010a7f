/** Picks the operations for a stack's backend kind. */
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
const FACTORIES: Record<BackendKind, (dataDir: string, stack: string, config: () => Promise<StackConfig>) => PlatformBackend> = {
    local: localBackend,
    cloud: cloudBackend,
};

/** The operations for the stack's backend kind. */
export function backendFor(outputs: StackOutputs, dataDir: string, stack: string, config: () => Promise<StackConfig>): PlatformBackend {
    return FACTORIES[backendKind(outputs)](dataDir, stack, config);
}
