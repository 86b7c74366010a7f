/** Refill policies: what an AutoRefill stores for its account, in the ledger's database. */
import type { ClientBase } from "pg";
import { DatabaseRef } from "../runtime/postgres";
import { ensureAccount, withLedger } from "./ledger";

/** An account's auto-refill policy, as the AutoRefill resource stores it. */
export interface RefillPolicy {
    account: string;
    enabled: boolean;
    /** Refill when the balance is below this. */
    thresholdCredits: number;
    refillUsdCents: number;
    /** The most that succeeded refills may spend in a calendar month (UTC). */
    /** Null: no monthly limit. */
    monthlyLimitUsdCents: number | null;
    creditsPerSandboxHour: number;
    /** The AutoRefill resource that manages the policy. */
    urn: string;
}

interface PolicyRow {
    account: string;
    enabled: boolean;
    threshold_credits: number;
    refill_usd_cents: number;
    monthly_limit_usd_cents: number | null;
    credits_per_sandbox_hour: string;
    urn: string;
}

/** The account's refill policy, or undefined when it has none. */
export async function readPolicy(client: ClientBase, account: string): Promise<RefillPolicy | undefined> {
    const { rows } = await client.query<PolicyRow>("select * from flow_nexus.refill_policies where account = $1", [account]);
    const row = rows[0];
    if (!row) return undefined;
    return {
        account: row.account,
        enabled: row.enabled,
        thresholdCredits: row.threshold_credits,
        refillUsdCents: row.refill_usd_cents,
        monthlyLimitUsdCents: row.monthly_limit_usd_cents,
        creditsPerSandboxHour: Number(row.credits_per_sandbox_hour),
        urn: row.urn,
    };
}

/** The account's refill policy (for tools), or undefined. */
export function refillPolicy(db: DatabaseRef, account: string): Promise<RefillPolicy | undefined> {
    return withLedger(db, (client) => readPolicy(client, account));
}

/** Creates or replaces the account's refill policy. */
export async function writePolicy(client: ClientBase, policy: RefillPolicy): Promise<void> {
    await ensureAccount(client, policy.account);
    await client.query(
        `insert into flow_nexus.refill_policies
             (account, enabled, threshold_credits, refill_usd_cents, monthly_limit_usd_cents, credits_per_sandbox_hour, urn)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (account) do update set
             enabled = excluded.enabled, threshold_credits = excluded.threshold_credits,
             refill_usd_cents = excluded.refill_usd_cents, monthly_limit_usd_cents = excluded.monthly_limit_usd_cents,
             credits_per_sandbox_hour = excluded.credits_per_sandbox_hour, urn = excluded.urn, updated_at = now()`,
        [policy.account, policy.enabled, policy.thresholdCredits, policy.refillUsdCents, policy.monthlyLimitUsdCents, policy.creditsPerSandboxHour, policy.urn],
    );
}

/** Removes the account's policy if `urn` manages it; entries and payments stay. */
export async function deletePolicy(client: ClientBase, account: string, urn: string): Promise<void> {
    await client.query("delete from flow_nexus.refill_policies where account = $1 and urn = $2", [account, urn]);
}
