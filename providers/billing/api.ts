/**
 * What other providers may do with billing (a billed sandbox or app needs
 * credits and is charged for running): the few operations this provider
 * offers, so that no one reaches into its ledger.
 */
export { NoCreditsError, requireCredits } from "./ledger";
export { recordSandboxUsage } from "./metering";
export { runRefill } from "./refill";
