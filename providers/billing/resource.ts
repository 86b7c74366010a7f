import * as pulumi from "@pulumi/pulumi";
import { all, backendKind, boolean, checkProps, integer, optional, Rule, text, UNKNOWN } from "../runtime/check";
import { AuditedProvider, Backend } from "../runtime/crud";
import { cloudCredentials } from "../runtime/credentials";
import { diffInputs } from "../runtime/diff";
import { BackendRef, lineageTags, Tags } from "../runtime/lineage";
import { forwardingProvider } from "../runtime/load";

const TYPE = "pulumi-nodejs:dynamic/flownexus:AutoRefill";

/** The resolved inputs of an auto-refill policy, defaults applied. */
export interface Inputs {
    /** The credit account (the platform user's id). */
    account: string;
    enabled: boolean;
    /** A refill run charges when the balance is below this. */
    thresholdCredits: number;
    /** What one refill charges, in US dollars (10 credits per dollar). */
    refillAmountUsd: number;
    /**
     * The most refills may charge in a calendar month (UTC), in US dollars.
     * Without one, refills are unbounded: the policy pack refuses that.
     */
    monthlyLimitUsd?: number;
    /** Credits granted once, when the policy is created; later changes grant nothing. */
    initialCredits: number;
    /** What an hour of a running sandbox costs, for usage tracking. */
    creditsPerSandboxHour: number;
    /** Let the stack's local ledger go with it even when it records payments. */
    forceDestroy: boolean;
    backend: BackendRef;
    tags: Tags;
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

const INPUTS = [
    "account",
    "enabled",
    "thresholdCredits",
    "refillAmountUsd",
    "monthlyLimitUsd",
    "initialCredits",
    "creditsPerSandboxHour",
    "forceDestroy",
    "backend",
    "tags",
] as const;

export const MAX_CREDITS = 1_000_000;
export const MIN_REFILL_USD = 5;
export const MAX_REFILL_USD = 1000;
export const MAX_MONTHLY_LIMIT_USD = 100_000;

/** A US dollar amount from `min` to `max`, in whole cents. */
function dollars(min: number, max: number): Rule {
    return (value) =>
        typeof value === "number" && Number.isFinite(value) && value >= min && value <= max && Math.abs(value * 100 - Math.round(value * 100)) < 1e-6
            ? undefined
            : `must be an amount in US dollars from ${min} to ${max}, in whole cents (got ${JSON.stringify(value)})`;
}

/** The `check` rules of single properties, also used to validate stack config. */
export const rules = {
    account: text({ maxLength: 200 }),
    enabled: boolean(),
    thresholdCredits: integer(0, MAX_CREDITS, " credits"),
    refillAmountUsd: dollars(MIN_REFILL_USD, MAX_REFILL_USD),
    monthlyLimitUsd: optional(dollars(MIN_REFILL_USD, MAX_MONTHLY_LIMIT_USD)),
    initialCredits: integer(0, MAX_CREDITS, " credits"),
    creditsPerSandboxHour: (value: unknown) =>
        typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 1000
            ? undefined
            : `must be a number of credits from 0 to 1000 (got ${JSON.stringify(value)})`,
    forceDestroy: boolean(),
    backend: all(backendKind(["local", "cloud"]), cloudCredentials(["stripeSecretKey", "databaseUrl"])),
};

/** The inputs with their defaults applied. */
export function withDefaults(news: Partial<Inputs>): Inputs {
    return {
        ...(news as Inputs),
        enabled: news.enabled ?? true,
        refillAmountUsd: news.refillAmountUsd ?? 10,
        initialCredits: news.initialCredits ?? 0,
        creditsPerSandboxHour: news.creditsPerSandboxHour ?? 1,
        forceDestroy: news.forceDestroy ?? false,
    };
}

/** Every reason the inputs are refused: the property rules, then the limit that must fit one refill. */
export function inputFailures(inputs: Inputs): pulumi.dynamic.CheckFailure[] {
    const failures = checkProps(inputs as unknown as Record<string, unknown>, rules);
    const { refillAmountUsd: refill, monthlyLimitUsd: limit } = inputs;
    const judged = failures.some((f) => f.property === "refillAmountUsd" || f.property === "monthlyLimitUsd");
    if (!judged && limit !== undefined && refill !== (UNKNOWN as unknown) && limit !== (UNKNOWN as unknown) && limit < refill) {
        failures.push({ property: "monthlyLimitUsd", reason: `monthlyLimitUsd must be at least one refill (refillAmountUsd ${refill}) (got ${limit})` });
    }
    return failures;
}

class Provider extends AuditedProvider<Inputs, Outputs> {
    constructor() {
        super({
            type: "AutoRefill",
            inputs: INPUTS,
            // Loaded on first use, so a preview never loads the Stripe SDK.
            backends: { local: async () => (await import("./local")).backend, cloud: async () => (await import("./cloud")).backend },
            id: (outs) => outs.account,
        });
    }

    async check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>> {
        const inputs = withDefaults(news);
        return { inputs, failures: inputFailures(inputs) };
    }

    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        // Another account is another policy (and another backend another
        // ledger); every setting of the policy changes in place.
        return diffInputs(olds as never, news as never, INPUTS, ["account", "backend"]);
    }
}

/** The implementation the serialized shell forwards to, in the provider process. */
export const provider = new Provider();

/** The arguments of an {@link AutoRefill}. */
export interface AutoRefillArgs {
    /** The credit account, normally the platform user's id; changing it replaces the policy. */
    readonly account: pulumi.Input<Inputs["account"]>;
    /** Whether refill runs may charge. Default true. */
    readonly enabled?: pulumi.Input<Inputs["enabled"]>;
    /** Refill when the balance is below this many credits, 0 to 1000000. No default. */
    readonly thresholdCredits: pulumi.Input<Inputs["thresholdCredits"]>;
    /** What one refill charges, 5 to 1000 USD (10 credits per USD). Default 10. */
    readonly refillAmountUsd?: pulumi.Input<Inputs["refillAmountUsd"]>;
    /** The most refills may charge in a calendar month, at least one refill. Default none (unbounded; the policy pack refuses it). */
    readonly monthlyLimitUsd?: pulumi.Input<number>;
    /** Credits granted once at creation (how the dev stack starts with a balance). Default 0. */
    readonly initialCredits?: pulumi.Input<Inputs["initialCredits"]>;
    /** Credits an hour of a running sandbox costs. Default 1. */
    readonly creditsPerSandboxHour?: pulumi.Input<Inputs["creditsPerSandboxHour"]>;
    /** Let a local ledger that records payments go with the stack. Default false: destroy keeps it. */
    readonly forceDestroy?: pulumi.Input<Inputs["forceDestroy"]>;
    /** Which backend keeps the ledger. */
    readonly backend: pulumi.Input<BackendRef>;
}

// One shell for every policy: Pulumi caches a provider's serialization by identity.
const shell = forwardingProvider("AutoRefill");

/**
 * An account's auto-refill policy (phase 5). Creating or updating it never
 * charges: a refill run (`runRefill`, from the CLI or a watchdog) does.
 */
export class AutoRefill extends pulumi.dynamic.Resource {
    public readonly account!: pulumi.Output<string>;
    public readonly enabled!: pulumi.Output<boolean>;
    public readonly thresholdCredits!: pulumi.Output<number>;
    public readonly refillAmountUsd!: pulumi.Output<number>;
    public readonly monthlyLimitUsd!: pulumi.Output<number>;
    public readonly creditsPerSandboxHour!: pulumi.Output<number>;
    public readonly forceDestroy!: pulumi.Output<boolean>;
    public readonly backend!: pulumi.Output<BackendRef>;
    public readonly status!: pulumi.Output<Outputs["status"]>;
    public readonly balance!: pulumi.Output<number>;
    public readonly monthlySpentUsd!: pulumi.Output<number>;
    /** The Stripe customer (cloud backend). */
    public readonly customerId!: pulumi.Output<string | undefined>;
    /** Whether a refill can be charged off-session (cloud backend). */
    public readonly paymentMethodReady!: pulumi.Output<boolean | undefined>;

    constructor(name: string, args: AutoRefillArgs, opts?: pulumi.CustomResourceOptions) {
        const tags = lineageTags(name, TYPE, opts?.parent);
        // Inputs with defaults are seeded too: a key missing from props gets no output.
        const defaulted = { enabled: undefined, refillAmountUsd: undefined, monthlyLimitUsd: undefined, creditsPerSandboxHour: undefined, forceDestroy: undefined };
        const props = { ...defaulted, ...args, tags, status: undefined, balance: undefined, monthlySpentUsd: undefined, customerId: undefined, paymentMethodReady: undefined };
        super(shell, name, props, opts, "flownexus", "AutoRefill");
    }
}
