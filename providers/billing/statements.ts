/** What an account's ledger says back: its history (entries and payments) and its usage in a month. */
import { DatabaseRef, isCloud } from "../runtime/postgres";
import { EntryRow, LedgerEntry, monthOf, monthRange, roundCredits, toEntry, withLedger } from "./ledger";
import { PaymentRecord, PaymentRow, toPayment } from "./payments";

/** One line of an account's history: a ledger entry or a payment attempt. */
export type HistoryItem = ({ record: "entry" } & LedgerEntry) | ({ record: "payment" } & PaymentRecord);

/**
 * The account's ledger entries and payment attempts, newest first. On the
 * cloud backend the payments come from Stripe (its PaymentIntents are the
 * record of what was charged), the entries from the cloud database.
 */
export function history(db: DatabaseRef, account: string, opts: { limit?: number } = {}): Promise<HistoryItem[]> {
    const limit = opts.limit ?? null;
    return withLedger(db, async (client) => {
        const entries = await client.query<EntryRow>(
            "select * from flow_nexus.ledger_entries where account = $1 order by at desc, id desc limit $2",
            [account, limit],
        );
        const payments = isCloud(db)
            ? await (await import("./stripe")).stripePayments(account, { limit: opts.limit, db })
            : (await client.query<PaymentRow>("select * from flow_nexus.payments where account = $1 order by at desc limit $2", [account, limit])).rows.map(toPayment);
        const items: HistoryItem[] = [
            ...entries.rows.map((row) => ({ record: "entry" as const, ...toEntry(row) })),
            ...payments.map((payment) => ({ record: "payment" as const, ...payment })),
        ];
        // A refill's payment and its credit share an instant: the payment comes first in time.
        items.sort((a, b) => b.at.getTime() - a.at.getTime() || (a.record === b.record ? 0 : a.record === "entry" ? -1 : 1));
        return opts.limit === undefined ? items : items.slice(0, opts.limit);
    });
}

/** The credits debited from the account in `month` (YYYY-MM, UTC; default this month), and the debits. */
export function usage(db: DatabaseRef, account: string, month = monthOf(new Date())): Promise<{ month: string; credits: number; debits: LedgerEntry[] }> {
    const { start, end } = monthRange(month);
    return withLedger(db, async (client) => {
        const { rows } = await client.query<EntryRow>(
            `select * from flow_nexus.ledger_entries
             where account = $1 and kind = 'debit' and at >= $2 and at < $3 order by at desc, id desc`,
            [account, start, end],
        );
        const debits = rows.map(toEntry);
        return { month, credits: roundCredits(debits.reduce((sum, d) => sum + d.credits, 0)), debits };
    });
}
