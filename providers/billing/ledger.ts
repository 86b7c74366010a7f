/**
 * The credit ledger of the local backend, in the stack's Postgres (schema
 * flow_nexus). The balance is the sum of append-only entries: credits
 * (grants), payments (refills bought with money) and debits (usage). Each
 * entry carries a reference, unique per account and kind, so a grant, a
 * refill or a stretch of usage recorded twice is written once.
 *
 * The tables of refill policies, payments and usage are created here too,
 * with the entries; `payments.ts` records payment attempts, `metering.ts`
 * debits running time, `statements.ts` reads history and usage back;
 * `refill.ts` keeps the policies, decides and charges; `processor.ts`
 * takes the money.
 */
import * as path from "path";
import type { ClientBase } from "pg";
import { migratePlatform } from "../runtime/platform-tables";
import { DatabaseRef, transaction, withDatabase } from "../runtime/postgres";
import { CREDITS_PER_USD } from "./schema";

export { CREDITS_PER_USD };

/** The reference of the one grant an AutoRefill's `initialCredits` makes. */
export const INITIAL_CREDITS_REFERENCE = "auto-refill:initial-credits";

export type EntryKind = "credit" | "debit" | "payment";
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
export function ensureLedger(client: ClientBase): Promise<void> {
    return migratePlatform(client, "ledger", [TABLES]);
}

/**
 * Runs `fn` in a transaction that holds the account's advisory lock, so
 * refill runs, policy changes and usage recording of one account take turns
 * (across processes too: the lock is the database's).
 */
export function withAccountLock<T>(db: DatabaseRef, account: string, fn: (client: ClientBase) => Promise<T>): Promise<T> {
    return withDatabase(db, async (client) => {
        await ensureLedger(client);
        return transaction(client, async () => {
            await client.query("select pg_advisory_xact_lock(hashtext($1))", [account]);
            return fn(client);
        });
    });
}

/** Runs `fn` with a client of the stack's database, the ledger's tables created. */
export function withLedger<T>(db: DatabaseRef, fn: (client: ClientBase) => Promise<T>): Promise<T> {
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

export function nonEmpty(name: string, value: string): void {
    if (typeof value !== "string" || value.length === 0) throw new Error(`${name} must be a non-empty string`);
}

/** Makes sure the account exists (every table refers to it). */
export async function ensureAccount(client: ClientBase, account: string): Promise<void> {
    nonEmpty("account", account);
    await client.query("insert into flow_nexus.credit_accounts (account) values ($1) on conflict do nothing", [account]);
}

/** Appends an entry unless one of its kind with its reference exists; true when written. */
export async function insertEntry(
    client: ClientBase,
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
export async function balanceOf(client: ClientBase, account: string): Promise<number> {
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

export interface EntryRow {
    id: string;
    account: string;
    at: Date;
    kind: EntryKind;
    credits: string;
    usd_cents: number | null;
    reference: string;
}

export function toEntry(row: EntryRow): LedgerEntry {
    return { id: Number(row.id), account: row.account, at: row.at, kind: row.kind, credits: Number(row.credits), usdCents: row.usd_cents, reference: row.reference };
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
