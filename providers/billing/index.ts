/** The billing provider's public module: the resource and its types. Operations others use are in ./api. */
export { AutoRefill, AutoRefillArgs } from "./resource";
export { CREDITS_PER_USD } from "./schema";
export type { EntryKind, LedgerEntry } from "./ledger";
export type { PaymentRecord, PaymentStatus } from "./payments";
export type { UsageRecord } from "./metering";
export type { HistoryItem } from "./statements";
export type { RefillPolicy } from "./policy";
export type { NoChargeCause, RefillDecision, RefillOptions, RefillPayment, RefillResult, RefillSituation } from "./refill";
