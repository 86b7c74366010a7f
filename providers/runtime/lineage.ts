import * as pulumi from "@pulumi/pulumi";

/**
 * Where a resource lives. `local` keeps everything under the stack's data
 * folder on this machine; `cloud` uses the hosted services (E2B, Supabase,
 * Stripe) with credentials from stack config.
 */
export interface BackendRef {
    kind: "local" | "cloud";
    /** The stack's data folder (local backend). */
    dataDir?: string;
}

/**
 * The credit account a resource draws on, when billing is configured: it
 * will not start without credits, and (a sandbox) is charged for running.
 */
export interface BillingRef {
    account: string;
    /** What an hour of running costs, in credits. */
    creditsPerHour: number;
}

/**
 * The lineage tags every provider stores with what it creates, so that an
 * interrupted run, and `cleanup`, can find it again.
 */
export interface Tags {
    "flow-nexus:project": string;
    "flow-nexus:stack": string;
    "flow-nexus:urn": string;
}

/** Tags for a resource about to be registered with this name and type. */
export function lineageTags(name: string, type: string, parent?: pulumi.Resource): pulumi.Output<Tags> {
    // Through a bare promise: an Output of the parent's URN would make the
    // resource depend on its parent, and a dependency on a component waits
    // for all of the component's children: this resource among them.
    const urn = new Promise<string>((resolve) => pulumi.createUrn(name, type, parent).apply(resolve));
    return pulumi.output(urn).apply((urn) => ({
        "flow-nexus:project": pulumi.getProject(),
        "flow-nexus:stack": pulumi.getStack(),
        "flow-nexus:urn": urn,
    }));
}
