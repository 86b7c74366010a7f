import * as pulumi from "@pulumi/pulumi";
import { AuditedProvider } from "../runtime/crud";
import { diffInputs } from "../runtime/diff";
import type { LinkRef } from "../runtime/links";
import { FlowNexusResource } from "../runtime/resource";
import { ArgsOf, checkInputs, inputNames, replacedBy } from "../runtime/schema";
import { Inputs, Outputs, schema } from "./schema";

export { schema, Inputs, Outputs, SubscriptionBackend } from "./schema";

// One backend for both kinds: the SQL is the same, and withDatabase connects
// to the stack's embedded Postgres (local) or to flow-nexus:databaseUrl
// (cloud) by the backend's kind. Loaded on first use, so a preview loads no driver.
const loadBackend = async () => (await import("./local")).backend;
const BACKENDS = { local: loadBackend, cloud: loadBackend };

class Provider extends AuditedProvider<Inputs, Outputs> {
    constructor() {
        super({
            type: "RealtimeSubscription",
            inputs: inputNames(schema),
            backends: BACKENDS,
            id: (outs) => outs.subscriptionId,
        });
    }

    async check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>> {
        return checkInputs(schema, news);
    }

    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        // Another table is another subscription; events and filter change in place.
        return diffInputs(olds as never, news as never, inputNames(schema), replacedBy(schema));
    }
}

/** The implementation the registry hands this type's calls to, in the provider process. */
export const provider = new Provider();

/** The arguments of a {@link RealtimeSubscription}: its inputs (see ./schema), the lineage tags set for it. */
export type RealtimeSubscriptionArgs = ArgsOf<typeof schema, "tags">;

/** A table's membership of the supabase_realtime publication (phase 2). */
export class RealtimeSubscription extends FlowNexusResource {
    public readonly table!: pulumi.Output<string>;
    public readonly subscriptionId!: pulumi.Output<string>;
    public readonly active!: pulumi.Output<boolean>;
    /** What a Deployment linked to it is told: its table. */
    public readonly link: pulumi.Output<LinkRef>;

    constructor(name: string, args: RealtimeSubscriptionArgs, opts?: pulumi.CustomResourceOptions) {
        const props = { ...args, subscriptionId: undefined, active: undefined };
        super("RealtimeSubscription", name, props, opts);
        this.link = this.table.apply((table) => ({ type: "RealtimeSubscription" as const, name, table }));
    }
}
