/**
 * The credit ledger of the local backend, in the stack's Postgres (schema
 * flow_nexus). The balance is the sum of append-only entries: credits
 * (grants), payments (refills bought with money) and debits (usage). Each
 * entry carries a reference, unique per account and kind, so a grant, a
 * refill or a stretch of usage recorded twice is written once.
 *
 * The tables of refill policies and payments are created here too, with
 * the entries; `refill.ts` keeps the policies, decides and charges;
 * `processor.ts` takes the money.
 */
import * as path from "path";
import type { Client } from "pg";
import { migratePlatform } from "../runtime/platform-tables";
import { DatabaseRef, isCloud, transaction, withDatabase } from "../runtime/postgres";

import { CREDITS_PER_USD } from "./schema";

export { CREDITS_PER_USD };

/** The reference of the one grant an AutoRefill's `initialCredits` makes. */
export const INITIAL_CREDITS_REFERENCE = "auto-refill:initial-credits";

export type EntryKind = "credit" | "debit" | "payment";
export type PaymentStatus = "succeeded" | "declined" | "authentication_required";

export interface LedgerEntry {
    id: number;
    account: string;
    at: Date;
    kind: EntryKind;
    /** Always positive; a debit subtracts it from the balance. */
    credits: number;
    /** What was paid, for kind `payment`. */
    usdCents: number | null;
    reference: string;
}

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

/** One line of an account's history: a ledger entry or a payment attempt. */
export type HistoryItem = ({ record: "entry" } & LedgerEntry) | ({ record: "payment" } & PaymentRecord);

const TABLES = `
    create table if not exists flow_nexus.credit_accounts (
        account text primary key,
        created_at timestamptz not null default now()
    );
    create table if not exists flow_nexus.ledger_entries (
        id bigserial primary key,
        account text not null references flow_nexus.credit_accounts (account),
        at timestamptz not null default now(),
        kind text not null check (kind in ('credit', 'debit', 'payment')),
        credits numeric not null check (credits >= 0),
        usd_cents int,
        reference text not null,
        unique (account, kind, reference)
    );
    create index if not exists ledger_entries_account_at on flow_nexus.ledger_entries (account, at);
    create table if not exists flow_nexus.refill_policies (
        account text primary key references flow_nexus.credit_accounts (account),
        enabled boolean not null,
        threshold_credits int not null check (threshold_credits >= 0),
        refill_usd_cents int not null check (refill_usd_cents > 0),
        monthly_limit_usd_cents int check (monthly_limit_usd_cents >= refill_usd_cents),
        credits_per_sandbox_hour numeric not null default 1 check (credits_per_sandbox_hour >= 0),
        urn text not null,
        updated_at timestamptz not null default now()
    );
    create table if not exists flow_nexus.payments (
        id text primary key,
        account text not null references flow_nexus.credit_accounts (account),
        idempotency_key text not null unique,
        usd_cents int not null check (usd_cents > 0),
        credits numeric not null,
        status text not null check (status in ('succeeded', 'declined', 'authentication_required')),
        at timestamptz not null default now(),
        message text
    );
    create index if not exists payments_account_at on flow_nexus.payments (account, at);
    create table if not exists flow_nexus.sandbox_usage (
        account text not null references flow_nexus.credit_accounts (account),
        sandbox_id text not null,
        started_at timestamptz not null,
        recorded_until timestamptz not null,
        credits numeric not null default 0,
        primary key (account, sandbox_id)
    )`;


/** Creates the ledger's tables when missing. */
export function ensureLedger(client: Client): Promise<void> {
    return migratePlatform(client, "ledger", [TABLES]);
}


/**
 * Runs `fn` in a transaction that holds the account's advisory lock, so
 * refill runs, policy changes and usage recording of one account take turns
 * (across processes too: the lock is the database's).
 */
export function withAccountLock<T>(db: DatabaseRef, account: string, fn: (client: Client) => Promise<T>): Promise<T> {
    return withDatabase(db, async (client) => {
        await ensureLedger(client);
        return transaction(client, async () => {
            await client.query("select pg_advisory_xact_lock(hashtext($1))", [account]);
            return fn(client);
        });
    });
}

/** Runs `fn` with a client of the stack's database, the ledger's tables created. */
export function withLedger<T>(db: DatabaseRef, fn: (client: Client) => Promise<T>): Promise<T> {
    return withDatabase(db, async (client) => {
        await ensureLedger(client);
        return fn(client);
    });
}

/** The credits `usdCents` buy: 10 per US dollar. */
export function creditsForUsdCents(usdCents: number): number {
    return (usdCents * CREDITS_PER_USD) / 100;
}

/** Credits are kept to the millionth (usage is billed by the millisecond). */
export function roundCredits(credits: number): number {
    return Math.round(credits * 1e6) / 1e6;
}

/** The calendar month (UTC) of `date`, as YYYY-MM. */
export function monthOf(date: Date): string {
    return date.toISOString().slice(0, 7);
}

/** The first instant of `month` (YYYY-MM, UTC) and of the month after it. */
export function monthRange(month: string): { start: Date; end: Date } {
    const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
    if (!match) throw new Error(`month must be YYYY-MM, e.g. 2025-06 (got ${JSON.stringify(month)})`);
    const [year, index] = [Number(match[1]), Number(match[2]) - 1];
    return { start: new Date(Date.UTC(year, index, 1)), end: new Date(Date.UTC(year, index + 1, 1)) };
}

function positiveCredits(credits: number): void {
    if (typeof credits !== "number" || !Number.isFinite(credits) || credits <= 0) {
        throw new Error(`credits must be a positive number (got ${JSON.stringify(credits)})`);
    }
}

function nonEmpty(name: string, value: string): void {
    if (typeof value !== "string" || value.length === 0) throw new Error(`${name} must be a non-empty string`);
}

/** Makes sure the account exists (every table refers to it). */
export async function ensureAccount(client: Client, account: string): Promise<void> {
    nonEmpty("account", account);
    await client.query("insert into flow_nexus.credit_accounts (account) values ($1) on conflict do nothing", [account]);
}

/** Appends an entry unless one of its kind with its reference exists; true when written. */
export async function insertEntry(
    client: Client,
    entry: { account: string; kind: EntryKind; credits: number; reference: string; usdCents?: number; at?: Date },
): Promise<boolean> {
    positiveCredits(entry.credits);
    nonEmpty("reference", entry.reference);
    await ensureAccount(client, entry.account);
    const { rowCount } = await client.query(
        `insert into flow_nexus.ledger_entries (account, at, kind, credits, usd_cents, reference)
         values ($1, coalesce($2, now()), $3, $4, $5, $6)
         on conflict (account, kind, reference) do nothing`,
        [entry.account, entry.at ?? null, entry.kind, roundCredits(entry.credits), entry.usdCents ?? null, entry.reference],
    );
    return rowCount === 1;
}

/** The account's balance in credits (0 for an account never seen). */
export async function balanceOf(client: Client, account: string): Promise<number> {
    const { rows } = await client.query<{ balance: string }>(
        `select coalesce(sum(case kind when 'debit' then -credits else credits end), 0) as balance
         from flow_nexus.ledger_entries where account = $1`,
        [account],
    );
    return Number(rows[0].balance);
}

/** The account's balance in credits. */
export function balance(db: DatabaseRef, account: string): Promise<number> {
    return withLedger(db, (client) => balanceOf(client, account));
}

/** Adds credits; a second call with the same reference changes nothing. True when written. */
export function credit(db: DatabaseRef, account: string, credits: number, reference: string): Promise<boolean> {
    return withLedger(db, (client) => insertEntry(client, { account, kind: "credit", credits, reference }));
}

/** Subtracts credits (the balance may go below zero); idempotent by reference. True when written. */
export function debit(db: DatabaseRef, account: string, credits: number, reference: string): Promise<boolean> {
    return withLedger(db, (client) => insertEntry(client, { account, kind: "debit", credits, reference }));
}

interface EntryRow {
    id: string;
    account: string;
    at: Date;
    kind: EntryKind;
    credits: string;
    usd_cents: number | null;
    reference: string;
}

interface PaymentRow {
    id: string;
    account: string;
    idempotency_key: string;
    usd_cents: number;
    credits: string;
    status: PaymentStatus;
    at: Date;
    message: string | null;
}

function toEntry(row: EntryRow): LedgerEntry {
    return { id: Number(row.id), account: row.account, at: row.at, kind: row.kind, credits: Number(row.credits), usdCents: row.usd_cents, reference: row.reference };
}

function toPayment(row: PaymentRow): PaymentRecord {
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

/** Thrown by {@link requireCredits}. */
export class NoCreditsError extends Error {
    constructor(
        readonly account: string,
        readonly balance: number,
        message: string,
    ) {
        super(message);
        this.name = "NoCreditsError";
    }
}

/**
 * Refuses to start `what` (e.g. `sandbox dev-sandbox`) when the account has
 * no credits left; returns the balance otherwise. The stack in the message
 * defaults to the name of the stack's data folder (`.flow-nexus/stacks/<stack>`).
 */
export async function requireCredits(db: DatabaseRef, account: string, what: string, opts: { stack?: string } = {}): Promise<number> {
    const credits = await balance(db, account);
    if (credits > 0) return credits;
    const stack = opts.stack ?? (typeof db === "string" ? path.basename(path.resolve(db)) : db.dataDir ? path.basename(db.dataDir) : "<stack>");
    throw new NoCreditsError(
        account,
        credits,
        `no credits left on account ${account}: ${what} was not started. ` +
            `Add credits: flow-nexus billing refill --stack ${stack}, or raise the balance with flow-nexus billing credit`,
    );
}

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

/** Records a payment attempt unless its idempotency key is recorded already. */
export async function recordPayment(client: Client, payment: Omit<PaymentRecord, "at"> & { at?: Date }): Promise<void> {
    await ensureAccount(client, payment.account);
    await client.query(
        `insert into flow_nexus.payments (id, account, idempotency_key, usd_cents, credits, status, at, message)
         values ($1, $2, $3, $4, $5, $6, coalesce($7, now()), $8)
         on conflict do nothing`,
        [payment.id, payment.account, payment.idempotencyKey, payment.usdCents, payment.credits, payment.status, payment.at ?? null, payment.message],
    );
}

/** The payment recorded under an idempotency key, or undefined. */
export async function paymentByKey(client: Client, idempotencyKey: string): Promise<PaymentRecord | undefined> {
    const { rows } = await client.query<PaymentRow>("select * from flow_nexus.payments where idempotency_key = $1", [idempotencyKey]);
    return rows[0] && toPayment(rows[0]);
}

/** The account's payment attempts in `month` (YYYY-MM, UTC), oldest first. */
export async function paymentsIn(client: Client, account: string, month: string): Promise<PaymentRecord[]> {
    const { start, end } = monthRange(month);
    const { rows } = await client.query<PaymentRow>(
        "select * from flow_nexus.payments where account = $1 and at >= $2 and at < $3 order by at, id",
        [account, start, end],
    );
    return rows.map(toPayment);
}
