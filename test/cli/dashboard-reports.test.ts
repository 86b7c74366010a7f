/** The dashboard's charts and tables from what the backends return: the balance over time, usage by day, the app's history. */
import { strict as assert } from "assert";
import type { HistoryItem } from "../../providers/billing/statements";
import { appReport, balanceSeries, billingReport, usageByDay } from "../../cli/dashboard/reports";

const entry = (at: string, kind: "credit" | "debit" | "payment", credits: number, reference = `r-${at}`): HistoryItem => ({
    record: "entry",
    id: 0,
    account: "acct",
    at: new Date(at),
    kind,
    credits,
    usdCents: null,
    reference,
});

describe("cli: the dashboard's reports", function () {
    // Newest first, as billing history returns it; a payment attempt is not a balance change.
    const history: HistoryItem[] = [
        entry("2026-12-02T10:00:00Z", "payment", 100),
        { record: "payment", id: "pi_1", account: "acct", idempotencyKey: "k", usdCents: 1000, credits: 100, status: "succeeded", at: new Date("2026-12-02T10:00:00Z"), message: null },
        entry("2026-12-02T09:00:00Z", "debit", 90.5),
        entry("2026-12-01T23:00:00Z", "debit", 0.25),
        entry("2026-12-01T08:00:00Z", "credit", 100),
    ];

    it("the balance after each entry, oldest first, ends at the balance now", function () {
        assert.deepEqual(balanceSeries(history, 109.25), [
            { at: "2026-12-01T08:00:00.000Z", credits: 100 },
            { at: "2026-12-01T23:00:00.000Z", credits: 99.75 },
            { at: "2026-12-02T09:00:00.000Z", credits: 9.25 },
            { at: "2026-12-02T10:00:00.000Z", credits: 109.25 },
        ]);
    });

    it("a history cut to its last entries still ends at the true balance", function () {
        assert.deepEqual(balanceSeries(history.slice(0, 3), 500).map((p) => p.credits), [400, 500]);
        assert.deepEqual(balanceSeries([], 42), []);
    });

    it("usage by UTC day, oldest first, summed", function () {
        const debits = [
            { at: new Date("2026-12-02T09:00:00Z"), credits: 0.1 },
            { at: "2026-12-02T00:00:00Z", credits: 0.2 },
            { at: "2026-12-01T23:59:59Z", credits: 1 },
        ];
        assert.deepEqual(usageByDay(debits), [
            { day: "2026-12-01", credits: 1 },
            { day: "2026-12-02", credits: 0.3 },
        ]);
    });

    it("the month's spend against the limit, null when there is none", function () {
        const balance = { account: "acct", credits: 5, month: "2026-12", spentUsdCents: 2000 };
        assert.deepEqual(billingReport(balance, [], []).month, { month: "2026-12", spentUsdCents: 2000, limitUsdCents: null });
        const limited = { ...balance, policy: { enabled: true, thresholdCredits: 50, refillUsdCents: 1000, monthlyLimitUsdCents: 5000, creditsPerSandboxHour: 1 } };
        assert.equal(billingReport(limited, [], []).month.limitUsdCents, 5000);
    });

    it("the app's checks and failures, its alerts newest first, and restarts counted from them", function () {
        const check = (at: string, ok: boolean) => ({ target: "app", at: new Date(at), ok, statusCode: ok ? 200 : null, latencyMs: 7, error: ok ? null : "ECONNREFUSED" });
        const alert = (at: string, restarted: boolean) => ({
            target: "app",
            at: new Date(at),
            failures: 2,
            restarted,
            message: "app failed",
            payload: {} as never,
            deliveries: [],
        });
        const report = appReport(
            { url: "http://127.0.0.1:1", healthUrl: "http://127.0.0.1:1/health" },
            { monitorId: "mon-1", intervalSeconds: 2, thresholds: { consecutiveFailures: 2 } },
            { checks: [check("2026-12-02T10:00:00Z", true), check("2026-12-02T10:00:02Z", false)], alerts: [alert("2026-12-02T09:00:00Z", false), alert("2026-12-02T10:00:04Z", true)] },
        );
        assert.deepEqual(report.monitor, { id: "mon-1", intervalSeconds: 2, consecutiveFailures: 2 });
        assert.equal(report.failures, 1);
        assert.deepEqual(report.checks.map((c) => [c.at, c.ok]), [["2026-12-02T10:00:00.000Z", true], ["2026-12-02T10:00:02.000Z", false]]);
        assert.deepEqual(report.alerts.map((a) => [a.at, a.restarted]), [["2026-12-02T10:00:04.000Z", true], ["2026-12-02T09:00:00.000Z", false]]);
        assert.equal(report.restarts, 1);
        assert.equal("payload" in report.alerts[0], false, "a webhook's payload is not shown");
    });

    it("a stack without a monitor or an app says so with nulls, not an error", function () {
        const report = appReport(undefined, undefined, undefined);
        assert.deepEqual([report.url, report.monitor, report.checks, report.restarts], [null, null, [], 0]);
    });
});
