export { AutoRefill, AutoRefillArgs } from "./resource";
export {
    balance,
    credit,
    debit,
    history,
    usage,
    requireCredits,
    recordSandboxUsage,
    creditsForUsdCents,
    monthOf,
    NoCreditsError,
    CREDITS_PER_USD,
} from "./ledger";
export type { EntryKind, HistoryItem, LedgerEntry, PaymentRecord, PaymentStatus, UsageRecord } from "./ledger";
export { runRefill, decideRefill, refillIdempotencyKey, refillPolicy } from "./refill";
export type { NoChargeCause, RefillDecision, RefillOptions, RefillPayment, RefillPolicy, RefillResult, RefillSituation } from "./refill";
export { localProcessor, setDeclineNext } from "./processor";
export { paymentSetup, startPaymentMethodSetup, stripePayments, stripeProcessor } from "./stripe";
export type { ChargeRequest, ChargeResult, DeclineOutcome, PaymentProcessor } from "./processor";
