/** A billed sandbox's running time, charged through billing's public module. */
import { recordSandboxUsage, runRefill } from "../billing/api";
import type { SandboxRecord } from "./record";

/**
 * Charges a billed sandbox's running time up to now (idempotent per period,
 * so the supervisor's minute ticks and a final delete never double-charge),
 * then lets the refill run top the account up if it fell below its threshold.
 */
export async function meterUsage(dataDir: string, record: SandboxRecord): Promise<void> {
    if (!record.billing) return;
    const { account, creditsPerHour } = record.billing;
    await recordSandboxUsage(dataDir, account, record.id, new Date(record.startedAt), new Date(), creditsPerHour);
    await runRefill(dataDir, account);
}
