/**
 * `flow-nexus billing …`: the account's credits, from the ledger itself (the
 * `balance` output is only what it was at the last `up`), and the refill run.
 */
import type { HistoryItem } from "../../providers/billing/statements";
import { parseCount, parseMonth, parsePositive } from "../args";
import type { Command, Context } from "../context";
import { ExitCode } from "../errors";
import { formatCredits, formatTime, formatUsd, renderTable } from "../output";
import { accountOf } from "../outputs";

async function account(ctx: Context): Promise<string> {
    return accountOf(await ctx.outputs(), ctx.stack);
}

export const balance: Command = {
    name: "billing balance",
    summary: "the account's credits now, its auto-refill policy and what refills spent this month",
    async run(ctx) {
        const report = await (await ctx.backend()).balance(await account(ctx));
        ctx.out.data(report);
        const p = report.policy;
        const refill = !p
            ? "no policy"
            : `${p.enabled ? "enabled" : "DISABLED"}: below ${p.thresholdCredits} credits, buy ${formatUsd(p.refillUsdCents)} (10 credits per USD)`;
        const limit = p?.monthlyLimitUsdCents == null ? "none" : formatUsd(p.monthlyLimitUsdCents);
        ctx.out.text(
            renderTable(
                ["ACCOUNT", report.account],
                [
                    ["credits", formatCredits(report.credits)],
                    ["auto-refill", refill],
                    ["monthly limit", limit],
                    [`spent in ${report.month}`, formatUsd(report.spentUsdCents)],
                    ["sandbox rate", p ? `${p.creditsPerSandboxHour} credits per hour` : "-"],
                ],
            ),
        );
        return 0;
    },
};

function historyRow(item: HistoryItem): unknown[] {
    if (item.record === "payment") {
        return [formatTime(item.at), "payment", item.status, formatCredits(item.credits), formatUsd(item.usdCents), item.idempotencyKey + (item.message ? ` (${item.message})` : "")];
    }
    const sign = item.kind === "debit" ? "-" : "+";
    return [formatTime(item.at), "entry", item.kind, `${sign}${formatCredits(item.credits)}`, item.usdCents === null ? "-" : formatUsd(item.usdCents), item.reference];
}

export const history: Command = {
    name: "billing history",
    summary: "the account's ledger entries (credits, payments, debits) and payment attempts, newest first",
    options: { limit: { type: "string", short: "n", value: "<n>", description: "at most n lines (default 20)" } },
    async run(ctx) {
        const limit = parseCount(ctx.string("limit") ?? "20", "--limit");
        const items = await (await ctx.backend()).history(await account(ctx), limit);
        ctx.out.data({ stack: ctx.stack, history: items });
        ctx.out.text(items.length === 0 ? "no history yet" : renderTable(["TIME", "RECORD", "KIND", { header: "CREDITS", align: "right" }, "USD", "REFERENCE"], items.map(historyRow)));
        return 0;
    },
};

export const usage: Command = {
    name: "billing usage",
    summary: "the credits the account used in a month (sandbox running time, …), debit by debit",
    options: { month: { type: "string", value: "<YYYY-MM>", description: "the month (UTC; default this month)" } },
    async run(ctx) {
        const month = ctx.string("month") === undefined ? undefined : parseMonth(ctx.string("month")!);
        const report = await (await ctx.backend()).usage(await account(ctx), month);
        ctx.out.data(report);
        const rows = report.debits.map((d) => [formatTime(d.at), formatCredits(d.credits), d.reference]);
        ctx.out.text(
            (rows.length > 0 ? renderTable(["TIME", { header: "CREDITS", align: "right" }, "REFERENCE"], rows) + "\n" : "") +
                `${formatCredits(report.credits)} credits used in ${report.month}`,
        );
        return 0;
    },
};

export const refill: Command = {
    name: "billing refill",
    summary: "run the refill once: charge one refill if the balance is below the threshold, within the monthly limit",
    options: { retry: { type: "boolean", description: "charge again after a declined or unauthenticated refill (after fixing the payment method)" } },
    details: [
        "Safe to run at any time and from many places at once: runs of one account take turns on its lock, and",
        "each refill's idempotency key (account, month, sequence) means a repeated charge returns the first payment.",
        "",
        "Exit code: 0 when it charged, or when the balance is at or above the threshold; 1 when the account stays",
        "below it (the monthly limit is reached, the payment failed, auto-refill is off or not configured).",
    ].join("\n"),
    async run(ctx) {
        const id = await account(ctx);
        const backend = await ctx.backend();
        ctx.out.progress(`running the refill of account ${id}…`);
        const result = await backend.refill(id, { retryFailed: ctx.flag("retry") });
        // The policy says whether not charging was the right outcome (balance above threshold) or a shortfall.
        const { policy } = await backend.balance(id);
        const fine = result.charged || (policy !== undefined && policy.enabled && result.balance >= policy.thresholdCredits);
        ctx.out.data({ stack: ctx.stack, account: id, ...result });
        ctx.out.text(`${result.charged ? "charged" : "not charged"}: ${result.reason}\nbalance: ${formatCredits(result.balance)} credits; spent in ${result.month}: ${formatUsd(result.spentUsdCents)}`);
        return fine ? ExitCode.Ok : ExitCode.Failed;
    },
};

export const credit: Command = {
    name: "billing credit",
    args: "<credits>",
    summary: "add credits to the account by hand (a grant, no payment); the same --reference twice adds once",
    options: { reference: { type: "string", value: "<ref>", description: "what the grant is for, unique per grant (default: cli:credit:<now>)" } },
    async run(ctx) {
        const credits = parsePositive(ctx.args[0] ?? "", "<credits>");
        const reference = ctx.string("reference") ?? `cli:credit:${ctx.now().toISOString()}`;
        const id = await account(ctx);
        const backend = await ctx.backend();
        const added = await backend.credit(id, credits, reference);
        const now = (await backend.balance(id)).credits;
        ctx.out.data({ stack: ctx.stack, account: id, added, credits, reference, balance: now });
        ctx.out.text(`${added ? `added ${formatCredits(credits)} credits` : `reference ${reference} was used before: nothing added`}; balance: ${formatCredits(now)} credits`);
        return 0;
    },
};

/** The billing commands, in the order help lists them. */
export const billing: Command[] = [balance, history, usage, refill, credit];
