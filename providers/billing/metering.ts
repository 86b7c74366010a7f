/** Running time charged as it passes: a sandbox's usage debited from the ledger, each period once. */
import { DatabaseRef } from "../runtime/postgres";
import { ensureAccount, insertEntry, nonEmpty, roundCredits, withAccountLock } from "./ledger";

/** What {@link recordSandboxUsage} debited: the period since the last recorded point. */
export interface UsageRecord {
    credits: number;
    from: Date;
    until: Date;
    /** The ledger reference of the debit; absent when nothing was debited. */
    reference?: string;
}

/**
 * Debits a sandbox's running time from the last recorded point (its start,
 * the first time) to `until`, at `creditsPerHour`. Recording the same point
 * twice debits once: the account's lock orders the calls, the recorded point
 * moves to `until`, and the debit's reference names its period.
 */
export function recordSandboxUsage(
    db: DatabaseRef,
    account: string,
    sandboxId: string,
    startedAt: Date,
    until: Date,
    creditsPerHour: number,
): Promise<UsageRecord> {
    nonEmpty("sandboxId", sandboxId);
    if (Number.isNaN(startedAt.getTime()) || Number.isNaN(until.getTime())) throw new Error("startedAt and until must be valid dates");
    if (!Number.isFinite(creditsPerHour) || creditsPerHour < 0) {
        throw new Error(`creditsPerHour must be a number of credits of 0 or more (got ${JSON.stringify(creditsPerHour)})`);
    }
    return withAccountLock(db, account, async (client) => {
        await ensureAccount(client, account);
        const { rows } = await client.query<{ recorded_until: Date }>(
            "select recorded_until from flow_nexus.sandbox_usage where account = $1 and sandbox_id = $2",
            [account, sandboxId],
        );
        const last = rows[0]?.recorded_until;
        const from = last && last > startedAt ? last : startedAt;
        if (until <= from) return { credits: 0, from, until };
        const credits = roundCredits((creditsPerHour * (until.getTime() - from.getTime())) / 3_600_000);
        const reference = `sandbox:${sandboxId}:${from.toISOString()}/${until.toISOString()}`;
        const written = credits > 0 && (await insertEntry(client, { account, kind: "debit", credits, reference, at: until }));
        await client.query(
            `insert into flow_nexus.sandbox_usage (account, sandbox_id, started_at, recorded_until, credits)
             values ($1, $2, $3, $4, $5)
             on conflict (account, sandbox_id) do update
             set recorded_until = excluded.recorded_until, credits = sandbox_usage.credits + excluded.credits`,
            [account, sandboxId, startedAt, until, written ? credits : 0],
        );
        return written ? { credits, from, until, reference } : { credits: 0, from, until };
    });
}
