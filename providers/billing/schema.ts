/** What an auto-refill policy is: every input with its type, bounds, default and replace rule, written once. */
import type { Backend } from "../runtime/crud";
import { amount, backendRef, dollars, field, flag, tags, text, wholeNumber, z } from "../runtime/schema";

/** Credits bought per US dollar. */
export const CREDITS_PER_USD = 10;

const credits = wholeNumber(0, 1_000_000, " credits");

export const schema = z.object({
    account: field(text({ maxLength: 200 }), { description: "The credit account (the platform user's id); another account is another policy.", replaces: true }),
    enabled: field(flag().default(true), { description: "Whether refill runs may charge." }),
    thresholdCredits: field(credits, { description: "A refill run charges when the balance is below this." }),
    refillAmountUsd: field(dollars(5, 1000).default(10), { description: "What one refill charges, in US dollars (10 credits per dollar)." }),
    monthlyLimitUsd: field(dollars(5, 100_000).optional(), {
        description: "The most refills may charge in a calendar month (UTC), at least one refill; none: unbounded, which the policy pack refuses.",
    }),
    initialCredits: field(credits.default(0), { description: "Credits granted once, when the policy is created; later changes grant nothing." }),
    creditsPerSandboxHour: field(amount(0, 1000, "credits").default(1), { description: "What an hour of a running sandbox costs." }),
    forceDestroy: field(flag().default(false), { description: "Let the stack's local ledger go with it even when it records payments." }),
    backend: backendRef(["local", "cloud"], ["stripeSecretKey", "databaseUrl"]),
    tags: tags(),
});

/** The resolved inputs of an auto-refill policy, defaults applied. */
export type Inputs = z.output<typeof schema>;

/** Why a monthly limit cannot be kept: it is below one refill. */
export function limitBelowRefill({ refillAmountUsd, monthlyLimitUsd }: { refillAmountUsd: number; monthlyLimitUsd?: number }): string | undefined {
    return monthlyLimitUsd !== undefined && monthlyLimitUsd < refillAmountUsd
        ? `must be at least one refill (refillAmountUsd ${refillAmountUsd}) (got ${monthlyLimitUsd})`
        : undefined;
}

/** What the provider stores: the inputs and the account's state at the operation. */
export interface Outputs extends Inputs {
    status: "enabled" | "disabled";
    /** Credits, when the resource was last created, updated or read. */
    balance: number;
    /** What succeeded refills charged this month, in US dollars. */
    monthlySpentUsd: number;
    /** The account's Stripe customer (cloud backend); empty when it is missing. */
    customerId?: string;
    /** Whether the customer has a payment method a refill can charge off-session (cloud backend). */
    paymentMethodReady?: boolean;
}

export type RefillBackend = Backend<Inputs, Outputs>;
