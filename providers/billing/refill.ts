/**
 * The refill run: when an account's balance is below its policy's (./policy)
 * threshold, charge one refill and credit what it bought,
 * within the monthly limit. The CLI and the watchdog run it; the AutoRefill
 * resource only stores the policy.
 *
 * Two guards keep concurrent runs from charging twice: the account's
 * advisory lock orders them, and the idempotency key (account, month, refill
 * sequence) makes a repeated charge return the first payment.
 */
import { createHash } from "crypto";
import type { ClientBase } from "pg";
import { balanceOf, creditsForUsdCents, insertEntry, monthOf, roundCredits, withAccountLock } from "./ledger";
import { readPolicy, RefillPolicy } from "./policy";
import { paymentByKey, PaymentRecord, paymentsIn, PaymentStatus, recordPayment } from "./payments";
import { DatabaseRef, isCloud } from "../runtime/postgres";
import { localProcessor, PaymentProcessor } from "./processor";

/** What succeeded payments spent in `month`, in US cents. */
export function spentUsdCents(payments: PaymentRecord[]): number {
    return payments.filter((p) => p.status === "succeeded").reduce((sum, p) => sum + p.usdCents, 0);
}

/**
 * Credits every succeeded payment of the account that has no ledger entry
 * yet: a run that charged and then died before crediting is completed by
 * the next one (the entry's reference is the payment's idempotency key).
 */
export async function settlePayments(client: ClientBase, account: string): Promise<void> {
    await client.query(
        `insert into flow_nexus.ledger_entries (account, at, kind, credits, usd_cents, reference)
         select account, at, 'payment', credits, usd_cents, idempotency_key
         from flow_nexus.payments where account = $1 and status = 'succeeded'
         on conflict (account, kind, reference) do nothing`,
        [account],
    );
}

export interface RefillOptions {
    /** The run's time: the month its spending counts against. Default now. */
    now?: Date;
    /** Who takes the money. Default: Stripe on the cloud backend, the local processor otherwise. */
    processor?: PaymentProcessor;
    /**
     * Charge again after a declined or unauthenticated refill (after the user
     * updated the payment method). Without it such a refill is reported, not retried.
     */
    retryFailed?: boolean;
}

/** A payment attempt as a run reports it. */
export interface RefillPayment {
    id: string;
    idempotencyKey: string;
    usdCents: number;
    credits: number;
    status: PaymentStatus;
    message?: string;
}

export interface RefillResult {
    /** True when money was taken and credited in this run. */
    charged: boolean;
    /** Why it charged or not, in words for the user. */
    reason: string;
    /** The balance after the run, in credits. */
    balance: number;
    /** The month (YYYY-MM, UTC) the run counted spending in, and what succeeded refills spent in it. */
    month: string;
    spentUsdCents: number;
    /** The payment this run attempted, or the failed one it did not retry. */
    payment?: RefillPayment;
}

/** What {@link decideRefill} needs to know about an account. */
export interface RefillSituation {
    account: string;
    policy?: Pick<RefillPolicy, "enabled" | "thresholdCredits" | "refillUsdCents" | "monthlyLimitUsdCents">;
    balance: number;
    /** YYYY-MM, UTC. */
    month: string;
    /** What succeeded refills spent this month, in US cents. */
    spentUsdCents: number;
    /** The last attempt at this refill, when it did not succeed. */
    failed?: { status: Exclude<PaymentStatus, "succeeded">; message?: string | null; usdCents: number };
    retryFailed?: boolean;
}

/** Why a run does not charge (for tools that act on it, e.g. alert on `payment-failed`). */
export type NoChargeCause = "no-policy" | "disabled" | "above-threshold" | "payment-failed" | "monthly-limit";

export type RefillDecision =
    | { charge: false; cause: NoChargeCause; reason: string }
    | { charge: true; usdCents: number; credits: number; reason: string };

/** US cents as `$10.00`. */
export function usd(cents: number): string {
    return `$${(cents / 100).toFixed(2)}`;
}

function credits(n: number): string {
    return String(roundCredits(n));
}

function failure(status: Exclude<PaymentStatus, "succeeded">): string {
    return status === "declined" ? "was declined" : "needs the customer's authentication";
}

/** Whether to charge a refill now, and why: the whole policy, as a pure function. */
export function decideRefill(s: RefillSituation): RefillDecision {
    const { policy } = s;
    if (!policy) return { charge: false, cause: "no-policy", reason: `account ${s.account} has no auto-refill policy` };
    if (!policy.enabled) return { charge: false, cause: "disabled", reason: `auto-refill is disabled for account ${s.account}` };
    if (s.balance >= policy.thresholdCredits) {
        return { charge: false, cause: "above-threshold", reason: `balance ${credits(s.balance)} is at or above the threshold ${policy.thresholdCredits}` };
    }
    if (s.failed && !s.retryFailed) {
        const detail = s.failed.message ? `: ${s.failed.message}` : "";
        return {
            charge: false,
            cause: "payment-failed",
            reason:
                `the last refill of ${usd(s.failed.usdCents)} ${failure(s.failed.status)}${detail}. ` +
                "It is not retried automatically: update the payment method, then retry the refill (flow-nexus billing refill --retry)",
        };
    }
    if (policy.monthlyLimitUsdCents !== null && s.spentUsdCents + policy.refillUsdCents > policy.monthlyLimitUsdCents) {
        return {
            charge: false,
            cause: "monthly-limit",
            reason:
                `a refill of ${usd(policy.refillUsdCents)} would exceed the monthly limit of ${usd(policy.monthlyLimitUsdCents)}: ` +
                `${usd(s.spentUsdCents)} already spent in ${s.month}`,
        };
    }
    const bought = creditsForUsdCents(policy.refillUsdCents);
    return {
        charge: true,
        usdCents: policy.refillUsdCents,
        credits: bought,
        reason: `balance ${credits(s.balance)} is below the threshold ${policy.thresholdCredits}: refill ${usd(policy.refillUsdCents)} for ${credits(bought)} credits`,
    };
}

/**
 * The idempotency key of an account's `sequence`-th refill in `month`
 * (YYYY-MM): the same refill always gets the same key, so a re-run cannot
 * charge it twice. A retry after a failed attempt is a new `attempt`.
 */
export function refillIdempotencyKey(account: string, month: string, sequence: number, attempt = 1): string {
    const key = (who: string) => `refill:${who}:${month}:${sequence}${attempt === 1 ? "" : `:attempt-${attempt}`}`;
    const plain = key(encodeURIComponent(account));
    // Stripe takes keys of at most 255 characters: a long account is named by its hash.
    return plain.length <= MAX_IDEMPOTENCY_KEY ? plain : key(`sha256-${createHash("sha256").update(account).digest("hex")}`);
}

/** The longest idempotency key Stripe accepts. */
export const MAX_IDEMPOTENCY_KEY = 255;

/** This month's refill attempts, seen from the idempotency keys. */
function attempts(account: string, month: string, payments: PaymentRecord[]): { sequence: number; last?: { attempt: number; payment: PaymentRecord } } {
    const byKey = new Map(payments.map((p) => [p.idempotencyKey, p]));
    const sequence = payments.filter((p) => p.status === "succeeded").length + 1;
    let last: { attempt: number; payment: PaymentRecord } | undefined;
    for (let attempt = 1; ; attempt++) {
        const payment = byKey.get(refillIdempotencyKey(account, month, sequence, attempt));
        if (!payment) return { sequence, last };
        last = { attempt, payment };
    }
}

function reported(key: string, p: { id: string; usdCents: number; credits: number; status: PaymentStatus; message?: string | null }): RefillPayment {
    return { id: p.id, idempotencyKey: key, usdCents: p.usdCents, credits: p.credits, status: p.status, ...(p.message ? { message: p.message } : {}) };
}

/**
 * Runs the account's refill policy once: charges at most one refill, never
 * past the monthly limit, and credits 10 credits per USD of a succeeded
 * payment. A declined or unauthenticated payment is recorded and reported,
 * and later runs report it again instead of charging until `retryFailed`.
 */
export async function runRefill(db: DatabaseRef, account: string, opts: RefillOptions = {}): Promise<RefillResult> {
    const now = opts.now ?? new Date();
    const month = monthOf(now);
    // The cloud backend charges through Stripe; the local one records payments in the stack's Postgres.
    const processor = opts.processor ?? (isCloud(db) ? await (await import("./stripe")).stripeProcessor(db) : localProcessor(db, { now: () => now }));
    return withAccountLock(db, account, async (client) => {
        await settlePayments(client, account);
        const policy = await readPolicy(client, account);
        const before = await balanceOf(client, account);
        const payments = await paymentsIn(client, account, month);
        const spent = spentUsdCents(payments);
        const { sequence, last } = attempts(account, month, payments);
        const failed = last && last.payment.status !== "succeeded" ? { ...last.payment, status: last.payment.status as Exclude<PaymentStatus, "succeeded"> } : undefined;
        const decision = decideRefill({ account, policy, balance: before, month, spentUsdCents: spent, failed, retryFailed: opts.retryFailed });
        const result = { month, spentUsdCents: spent, balance: before };
        if (!decision.charge) {
            const payment = decision.cause === "payment-failed" ? { payment: reported(failed!.idempotencyKey, failed!) } : {};
            return { ...result, charged: false, reason: decision.reason, ...payment };
        }

        const key = refillIdempotencyKey(account, month, sequence, (last?.attempt ?? 0) + 1);
        let charge;
        try {
            charge = await processor.charge({ account, usdCents: decision.usdCents, idempotencyKey: key });
        } catch (err) {
            throw new Error(
                `the refill of account ${account} was not completed: the payment processor failed (${(err as Error).message}). ` +
                    `The next run charges with the same idempotency key (${key}), so it cannot charge twice`,
            );
        }
        await recordPayment(client, { ...charge, account, idempotencyKey: key, usdCents: decision.usdCents, credits: decision.credits, at: now, message: charge.message ?? null });
        // What is recorded under the key is the truth (a repeated key returns the first payment).
        const payment = reported(key, (await paymentByKey(client, key))!);
        if (payment.status !== "succeeded") {
            return {
                ...result,
                charged: false,
                payment,
                reason:
                    `the refill of ${usd(payment.usdCents)} ${failure(payment.status)}${payment.message ? `: ${payment.message}` : ""}. ` +
                    "It is not retried automatically: update the payment method, then retry the refill (flow-nexus billing refill --retry)",
            };
        }
        const credited = await insertEntry(client, { account, kind: "payment", credits: payment.credits, usdCents: payment.usdCents, reference: key, at: now });
        const after = await balanceOf(client, account);
        if (!credited) {
            // The key's payment was credited already: another run made this refill.
            return { month, spentUsdCents: spent, balance: after, charged: false, payment, reason: `refill ${key} was already charged and credited by another run` };
        }
        return {
            month,
            spentUsdCents: spent + payment.usdCents,
            balance: after,
            charged: true,
            payment,
            reason: `balance ${credits(before)} was below the threshold ${policy!.thresholdCredits}: charged ${usd(payment.usdCents)} for ${credits(payment.credits)} credits`,
        };
    });
}
