/**
 * What other providers may do with billing (a billed sandbox or app needs
 * credits and is charged for running): the few operations this provider
 * offers, so that no one reaches into its ledger.
 */
export { NoCreditsError, recordSandboxUsage, requireCredits } from "./ledger";
export { runRefill } from "./refill";
