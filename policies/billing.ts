import { ResourceValidationPolicy } from "@pulumi/policy";
import { CREDITS_PER_USD } from "../providers/billing/schema";
import { flowNexusType, label } from "./types";

/** Auto-refill spends money unattended: it has a cap, and one refill lifts the balance over the threshold. */
export const autoRefillLimits: ResourceValidationPolicy = {
    name: "auto-refill-limits",
    description:
        "Auto-refill has a monthly limit no higher than maxMonthlyLimitUsd, and its threshold is below what one refill adds.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            maxMonthlyLimitUsd: { type: "number", minimum: 0, default: 100 },
        },
    },
    validateResource: (args, reportViolation) => {
        if (args.type !== flowNexusType("AutoRefill")) return;
        const { maxMonthlyLimitUsd } = args.getConfig<{ maxMonthlyLimitUsd: number }>();
        const { monthlyLimitUsd, thresholdCredits, refillAmountUsd } = args.props as Record<string, number | undefined>;
        const what = label(args.type, args.name);
        if (monthlyLimitUsd === undefined || monthlyLimitUsd === null) {
            reportViolation(
                `${what} has no monthly limit: set monthlyLimitUsd (flow-nexus:billing.monthlyLimitUsd), at most $${maxMonthlyLimitUsd}.`,
            );
        } else if (monthlyLimitUsd > maxMonthlyLimitUsd) {
            reportViolation(`${what} may spend $${monthlyLimitUsd} a month: set monthlyLimitUsd to at most $${maxMonthlyLimitUsd}.`);
        }
        if (typeof thresholdCredits === "number" && typeof refillAmountUsd === "number") {
            const refillCredits = refillAmountUsd * CREDITS_PER_USD;
            if (thresholdCredits >= refillCredits) {
                reportViolation(
                    `${what} refills below ${thresholdCredits} credits, but one refill ($${refillAmountUsd}) adds only ` +
                        `${refillCredits}: lower thresholdCredits below ${refillCredits} or raise refillAmountUsd.`,
                );
            }
        }
    },
};
