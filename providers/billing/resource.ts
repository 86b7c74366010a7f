import * as pulumi from "@pulumi/pulumi";
import { AuditedProvider } from "../runtime/crud";
import { diffInputs } from "../runtime/diff";
import { BackendRef } from "../runtime/lineage";
import { FlowNexusResource } from "../runtime/resource";
import { ArgsOf, checkInputs, inputNames, replacedBy, seeded, UNKNOWN } from "../runtime/schema";
import { Inputs, limitBelowRefill, Outputs, schema } from "./schema";

export { schema, Inputs, Outputs, RefillBackend } from "./schema";

/** Every reason the inputs are refused: the schema's, then a monthly limit below one refill. */
export function checkRefill(news: Partial<Inputs>): { inputs: Inputs; failures: pulumi.dynamic.CheckFailure[] } {
    const { inputs, failures } = checkInputs(schema, news);
    const known = (value: unknown) => value !== UNKNOWN;
    const reason = failures.length === 0 && known(inputs.refillAmountUsd) && known(inputs.monthlyLimitUsd) ? limitBelowRefill(inputs) : undefined;
    if (reason) failures.push({ property: "monthlyLimitUsd", reason: `monthlyLimitUsd ${reason}` });
    return { inputs, failures };
}

class Provider extends AuditedProvider<Inputs, Outputs> {
    constructor() {
        super({
            type: "AutoRefill",
            inputs: inputNames(schema),
            // Loaded on first use, so a preview never loads the Stripe SDK.
            backends: { local: async () => (await import("./local")).backend, cloud: async () => (await import("./cloud")).backend },
            id: (outs) => outs.account,
        });
    }

    async check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>> {
        return checkRefill(news);
    }

    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        // Another account is another policy (and another backend another
        // ledger); every setting of the policy changes in place.
        return diffInputs(olds as never, news as never, inputNames(schema), replacedBy(schema));
    }
}

/** The implementation the registry hands this type's calls to, in the provider process. */
export const provider = new Provider();

/** The arguments of an {@link AutoRefill}: its inputs (see ./schema), the lineage tags set for it. */
export type AutoRefillArgs = ArgsOf<typeof schema, "tags">;

/**
 * An account's auto-refill policy (phase 5). Creating or updating it never
 * charges: a refill run (`runRefill`, from the CLI or a watchdog) does.
 */
export class AutoRefill extends FlowNexusResource {
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
        const props = { ...seeded(schema), ...args, status: undefined, balance: undefined, monthlySpentUsd: undefined, customerId: undefined, paymentMethodReady: undefined };
        super("AutoRefill", name, props, opts);
    }
}
