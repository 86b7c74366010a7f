import * as pulumi from "@pulumi/pulumi";
import { AutoRefill, AutoRefillArgs } from "../providers/billing/resource";
import { BackendRef, BillingRef } from "../providers/runtime/lineage";

/** The arguments of {@link Billing}. */
export interface BillingArgs extends Omit<AutoRefillArgs, "backend"> {
    /** Where the ledger lives. */
    readonly backend: pulumi.Input<BackendRef>;
}

/** Phase 5 is complete when auto-refill is enabled with a monthly limit and the balance is tracked. */
export function billingComplete(status: string | undefined, balance: number | undefined, monthlyLimitUsd: number | undefined): boolean {
    return status === "enabled" && typeof balance === "number" && typeof monthlyLimitUsd === "number";
}

/**
 * Phase 5, handle payments: the account's prepaid credits and auto-refill.
 * It is created before the services that cost money, which draw on it
 * through {@link Billing.ref}.
 */
export class Billing extends pulumi.ComponentResource {
    public readonly autoRefill: AutoRefill;
    /** What a billed sandbox or deployment takes as its `billing` input. */
    public readonly ref: pulumi.Output<BillingRef>;
    public readonly complete: pulumi.Output<boolean>;

    constructor(name: string, args: BillingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flownexus:billing:Billing", name, {}, opts);
        this.autoRefill = new AutoRefill(`${name}-auto-refill`, args, { parent: this });
        this.ref = pulumi
            .all([this.autoRefill.account, this.autoRefill.creditsPerSandboxHour])
            .apply(([account, creditsPerHour]) => ({ account, creditsPerHour }));
        this.complete = pulumi
            .all([this.autoRefill.status, this.autoRefill.balance, this.autoRefill.monthlyLimitUsd])
            .apply(([status, balance, limit]) => billingComplete(status, balance, limit));
        this.registerOutputs({ complete: this.complete });
    }
}
