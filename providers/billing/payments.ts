/** Payment attempts of the local backend: each recorded once, by its idempotency key. */
import type { ClientBase } from "pg";
import { ensureAccount, monthRange } from "./ledger";

export type PaymentStatus = "succeeded" | "declined" | "authentication_required";

export interface PaymentRecord {
    /** The processor's payment id. */
    id: string;
    account: string;
    idempotencyKey: string;
    usdCents: number;
    /** The credits the payment buys (granted only when it succeeded). */
    credits: number;
    status: PaymentStatus;
    at: Date;
    message: string | null;
}

export interface PaymentRow {
    id: string;
    account: string;
    idempotency_key: string;
    usd_cents: number;
    credits: string;
    status: PaymentStatus;
    at: Date;
    message: string | null;
}

export function toPayment(row: PaymentRow): PaymentRecord {
    return {
        id: row.id,
        account: row.account,
        idempotencyKey: row.idempotency_key,
        usdCents: row.usd_cents,
        credits: Number(row.credits),
        status: row.status,
        at: row.at,
        message: row.message,
    };
}

/** Records a payment attempt unless its idempotency key is recorded already. */
export async function recordPayment(client: ClientBase, payment: Omit<PaymentRecord, "at"> & { at?: Date }): Promise<void> {
    await ensureAccount(client, payment.account);
    await client.query(
        `insert into flow_nexus.payments (id, account, idempotency_key, usd_cents, credits, status, at, message)
         values ($1, $2, $3, $4, $5, $6, coalesce($7, now()), $8)
         on conflict do nothing`,
        [payment.id, payment.account, payment.idempotencyKey, payment.usdCents, payment.credits, payment.status, payment.at ?? null, payment.message],
    );
}

/** The payment recorded under an idempotency key, or undefined. */
export async function paymentByKey(client: ClientBase, idempotencyKey: string): Promise<PaymentRecord | undefined> {
    const { rows } = await client.query<PaymentRow>("select * from flow_nexus.payments where idempotency_key = $1", [idempotencyKey]);
    return rows[0] && toPayment(rows[0]);
}

/** The account's payment attempts in `month` (YYYY-MM, UTC), oldest first. */
export async function paymentsIn(client: ClientBase, account: string, month: string): Promise<PaymentRecord[]> {
    const { start, end } = monthRange(month);
    const { rows } = await client.query<PaymentRow>(
        "select * from flow_nexus.payments where account = $1 and at >= $2 and at < $3 order by at, id",
        [account, start, end],
    );
    return rows.map(toPayment);
}
