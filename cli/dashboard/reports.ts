/**
 * What the dashboard's charts and tables show, made from what the backends
 * return: the balance over time from the ledger, the usage by day, the app's
 * health history and restarts from the monitor's records. Pure, so the unit
 * tests pin the arithmetic.
 */
import type { HistoryItem } from "../../providers/billing/statements";
import type { AlertRecord, CheckRecord } from "../../providers/monitor/local";
import type { BalanceReport, MonitorHistory } from "../backends";

/** The balance after each ledger entry, oldest first, ending at the balance now. */
export interface BalancePoint {
    at: string;
    credits: number;
}

const round = (credits: number) => Math.round(credits * 1e6) / 1e6;

/**
 * The balance over time: walking the entries (newest first, as history
 * returns them) back from the balance now, so a history cut to its last
 * entries still ends at the true balance.
 */
export function balanceSeries(history: readonly HistoryItem[], creditsNow: number): BalancePoint[] {
    const points: BalancePoint[] = [];
    let credits = creditsNow;
    for (const item of history) {
        if (item.record !== "entry") continue;
        points.push({ at: new Date(item.at).toISOString(), credits: round(credits) });
        credits += item.kind === "debit" ? item.credits : -item.credits;
    }
    return points.reverse();
}

/** Credits debited on each UTC day that had debits, oldest first. */
export function usageByDay(debits: ReadonlyArray<{ at: Date | string; credits: number }>): Array<{ day: string; credits: number }> {
    const days = new Map<string, number>();
    for (const debit of debits) {
        const day = new Date(debit.at).toISOString().slice(0, 10);
        days.set(day, (days.get(day) ?? 0) + debit.credits);
    }
    return [...days.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, credits]) => ({ day, credits: round(credits) }));
}

/** What the billing panel shows. */
export interface BillingReport {
    balance: BalanceReport;
    series: BalancePoint[];
    /** Ledger entries and payment attempts, newest first. */
    history: HistoryItem[];
    usageByDay: Array<{ day: string; credits: number }>;
    /** This month's refill spending against the monthly limit (null: no limit). */
    month: { month: string; spentUsdCents: number; limitUsdCents: number | null };
}

export function billingReport(balance: BalanceReport, history: HistoryItem[], debits: ReadonlyArray<{ at: Date | string; credits: number }>): BillingReport {
    return {
        balance,
        series: balanceSeries(history, balance.credits),
        history,
        usageByDay: usageByDay(debits),
        month: { month: balance.month, spentUsdCents: balance.spentUsdCents, limitUsdCents: balance.policy?.monthlyLimitUsdCents ?? null },
    };
}

/** One check as the health chart plots it. */
export interface HealthPoint {
    at: string;
    target: string;
    ok: boolean;
    latencyMs: number;
    statusCode: number | null;
    error: string | null;
}

/** What the app panel shows. */
export interface AppReport {
    url: string | null;
    healthUrl: string | null;
    monitor: { id: string; intervalSeconds: number | null; consecutiveFailures: number | null } | null;
    /** The monitor's checks over the window, oldest first. */
    checks: HealthPoint[];
    failures: number;
    /** Alerts, newest first; a restart is an alert whose watchdog restarted the app. */
    alerts: Array<Omit<AlertRecord, "at" | "payload"> & { at: string }>;
    restarts: number;
}

const iso = (at: Date | string) => new Date(at).toISOString();

export function appReport(
    app: { url?: string; healthUrl?: string } | undefined,
    monitor: { monitorId?: string; intervalSeconds?: number; thresholds?: { consecutiveFailures?: number } } | undefined,
    history: MonitorHistory | undefined,
): AppReport {
    const checks = (history?.checks ?? []).map((c: CheckRecord) => ({ at: iso(c.at), target: c.target, ok: c.ok, latencyMs: c.latencyMs, statusCode: c.statusCode, error: c.error }));
    const alerts = (history?.alerts ?? [])
        .map(({ target, at, failures, restarted, message, deliveries }) => ({ target, at: iso(at), failures, restarted, message, deliveries }))
        .reverse();
    return {
        url: app?.url ?? null,
        healthUrl: app?.healthUrl ?? null,
        monitor: monitor?.monitorId
            ? { id: monitor.monitorId, intervalSeconds: monitor.intervalSeconds ?? null, consecutiveFailures: monitor.thresholds?.consecutiveFailures ?? null }
            : null,
        checks,
        failures: checks.filter((c) => !c.ok).length,
        alerts,
        restarts: alerts.filter((a) => a.restarted).length,
    };
}
