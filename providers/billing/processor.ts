/**
 * Payment processors: what takes the money for a refill. The local one
 * records payments in the stack's Postgres and always succeeds, unless a
 * test asked it to refuse the next charge; Stripe's (off-session
 * PaymentIntents, ./stripe) is the cloud backend's.
 */
import { randomBytes } from "crypto";
import type { ClientBase } from "pg";
import { migratePlatform } from "../runtime/platform-tables";
import { DatabaseRef, transaction, withDatabase } from "../runtime/postgres";
import { creditsForUsdCents, ensureLedger } from "./ledger";
import { paymentByKey, PaymentStatus, recordPayment } from "./payments";

export interface ChargeRequest {
    account: string;
    /** A whole number of US cents, more than 0. */
    usdCents: number;
    /** The same key charges once: a repeated call returns the first outcome (Stripe keeps keys 24 hours). */
    idempotencyKey: string;
}

export interface ChargeResult {
    /** The processor's payment id (a PaymentIntent's `pi_…` on Stripe). */
    id: string;
    status: PaymentStatus;
    /** Why it did not succeed, in words a user can act on. */
    message?: string;
}

/** Takes money for refills. Implementations must honour the idempotency key. */
export interface PaymentProcessor {
    charge(request: ChargeRequest): Promise<ChargeResult>;
}

/** How the local processor refuses the next charge of an account (tests, demos). */
export type DeclineOutcome = Exclude<PaymentStatus, "succeeded">;

const SETTINGS = `
    create table if not exists flow_nexus.processor_settings (
        account text primary key,
        decline_next text check (decline_next in ('declined', 'authentication_required'))
    )`;

const MESSAGES: Record<DeclineOutcome, string> = {
    declined: "the card was declined (the local processor's decline_next setting)",
    authentication_required: "the bank asks the customer to authenticate the payment (the local processor's decline_next setting)",
};

/**
 * Makes the local processor refuse the account's next charge with `outcome`
 * (once), or, with undefined, charge normally again.
 */
export function setDeclineNext(db: DatabaseRef, account: string, outcome: DeclineOutcome | undefined): Promise<void> {
    return withDatabase(db, async (client) => {
        await ensureLedger(client);
        await migratePlatform(client, "processor", [SETTINGS]);
        await client.query(
            `insert into flow_nexus.processor_settings (account, decline_next) values ($1, $2)
             on conflict (account) do update set decline_next = excluded.decline_next`,
            [account, outcome ?? null],
        );
    });
}

/** Reads and clears the account's one-shot decline setting. */
async function takeDeclineNext(client: ClientBase, account: string): Promise<DeclineOutcome | undefined> {
    const { rows } = await client.query<{ decline_next: DeclineOutcome }>(
        `with old as (select account, decline_next from flow_nexus.processor_settings where account = $1 for update)
         update flow_nexus.processor_settings s set decline_next = null from old
         where s.account = old.account and old.decline_next is not null
         returning old.decline_next`,
        [account],
    );
    return rows[0]?.decline_next;
}

/**
 * The local processor: each charge is a row in flow_nexus.payments, keyed by
 * its idempotency key; a key already recorded returns that payment instead
 * of charging again. `now` dates the payments (a refill run passes its own).
 */
export function localProcessor(db: DatabaseRef, opts: { now?: () => Date } = {}): PaymentProcessor {
    return {
        async charge({ account, usdCents, idempotencyKey }) {
            if (!Number.isInteger(usdCents) || usdCents <= 0) throw new Error(`usdCents must be a whole number of cents above 0 (got ${usdCents})`);
            return withDatabase(db, async (client) => {
                await ensureLedger(client);
                await migratePlatform(client, "processor", [SETTINGS]);
                return transaction(client, async () => {
                    // A charge runs inside a refill's transaction, on its own
                    // connection: should it ever wait on that transaction, fail
                    // instead of waiting for ever.
                    await client.query("set local lock_timeout = '30s'");
                    // Charges with one key take turns, so the second finds the first.
                    await client.query("select pg_advisory_xact_lock(hashtext($1))", [`payment:${idempotencyKey}`]);
                    const recorded = await paymentByKey(client, idempotencyKey);
                    if (recorded) return { id: recorded.id, status: recorded.status, ...(recorded.message ? { message: recorded.message } : {}) };
                    const outcome = await takeDeclineNext(client, account);
                    const result: ChargeResult = {
                        id: `pay_local_${randomBytes(12).toString("hex")}`,
                        status: outcome ?? "succeeded",
                        ...(outcome ? { message: MESSAGES[outcome] } : {}),
                    };
                    await recordPayment(client, {
                        id: result.id,
                        account,
                        idempotencyKey,
                        usdCents,
                        credits: creditsForUsdCents(usdCents),
                        status: result.status,
                        at: opts.now?.(),
                        message: result.message ?? null,
                    });
                    return result;
                });
            });
        },
    };
}
