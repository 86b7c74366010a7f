/**
 * What the commands need from a stack's services, whatever runs them. The
 * local backend (./local) implements it on the stack's data folder; a cloud
 * implementation (E2B, Supabase, Stripe) slots in beside it in ./index.
 * Commands that only read outputs or the engine (docs, stacks prune) need
 * no backend and work for both.
 */
import type { LedgerEntry } from "../../providers/billing/ledger";
import type { HistoryItem } from "../../providers/billing/statements";
import type { RefillPolicy } from "../../providers/billing/policy";
import type { RefillResult } from "../../providers/billing/refill";
import type { AlertRecord, CheckRecord } from "../../providers/monitor/local";
import type { BackendKind, StackOutputs } from "../outputs";

/** How a service is: up, answering but not well, not there at all, or not checkable. */
export type Health = "up" | "unhealthy" | "down" | "unknown";

/** One service's health, checked now. */
export interface ServiceCheck {
    service: string;
    /** The process phase the service belongs to; absent for what all phases share (the database). */
    phase?: number;
    health: Health;
    /** What was seen, in words: `200 in 3 ms`, `sandbox sbx-… is gone`. */
    detail: string;
}

/** A log the platform writes. */
export interface LogSource {
    /** `app` (the deployed app's output), `watchdog` (the monitor's) or `gateway` (the stack's Supabase APIs). */
    name: string;
    /** Where it is read: the log itself locally, a copy of it for one kept elsewhere (in an E2B sandbox). */
    file: string;
    /** For a copy: fetches the log again into `file`; called before each read. */
    refresh?(): Promise<void>;
}

/** One row of the audit log. */
export interface AuditRecord {
    at: Date;
    stack: string;
    urn: string;
    type: string;
    action: string;
    changed: string[];
}

/** The account's balance and refill policy, read now. */
export interface BalanceReport {
    account: string;
    credits: number;
    policy?: Pick<RefillPolicy, "enabled" | "thresholdCredits" | "refillUsdCents" | "monthlyLimitUsdCents" | "creditsPerSandboxHour">;
    /** This month (YYYY-MM, UTC) and what succeeded refills spent in it. */
    month: string;
    spentUsdCents: number;
}

/** An account's debits in one month. */
export interface UsageReport {
    month: string;
    credits: number;
    debits: LedgerEntry[];
}

/** One change of the stack's realtime subscription, as it arrived. */
export interface ChangeEvent {
    at: string;
    type: string;
    table: string;
    new: Record<string, unknown>;
    old: Record<string, unknown>;
}

/** A running tail of the subscription's changes. */
export interface ChangeTail {
    table: string;
    filter?: string;
    stop(): Promise<void>;
}

/** What a monitor recorded: its checks since a time, and every alert it raised (each says whether it restarted the app). */
export interface MonitorHistory {
    checks: CheckRecord[];
    alerts: AlertRecord[];
}

/** The operations of one backend kind. */
export interface PlatformBackend {
    readonly kind: BackendKind;
    /** Every service of the stack, checked live (the app is probed, the watchdog looked up). */
    health(outputs: StackOutputs): Promise<ServiceCheck[]>;
    /** The app's and the watchdog's logs. Throws (exit 4) when the app's sandbox is gone. */
    logSources(outputs: StackOutputs): Promise<LogSource[]>;
    /** The stack's monitor's checks at or after `since`, and its alerts, oldest first. Throws (exit 3) without a monitor. */
    monitorHistory(outputs: StackOutputs, since: Date): Promise<MonitorHistory>;
    /** Receives the subscription's changes as an app does, until stopped. */
    tailChanges(subscriptionId: string, onChange: (event: ChangeEvent) => void): Promise<ChangeTail>;
    /** The audit log, oldest first. */
    auditLog(): Promise<AuditRecord[]>;
    balance(account: string): Promise<BalanceReport>;
    history(account: string, limit?: number): Promise<HistoryItem[]>;
    usage(account: string, month?: string): Promise<UsageReport>;
    /** One refill run: charges at most once, within the monthly limit, idempotently. */
    refill(account: string, opts: { retryFailed: boolean }): Promise<RefillResult>;
    /** Adds credits by hand; the same reference twice adds once. True when added. */
    credit(account: string, credits: number, reference: string): Promise<boolean>;
}
