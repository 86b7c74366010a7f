/**
 * Where each resource type's provider lives: the one place that knows.
 *
 * The provider Pulumi serializes into a resource's state names its type
 * (`StorageBucket`), not a file: refresh and destroy of a stack run that
 * stored provider (pulumi/pulumi#6490), so moving or splitting a provider's
 * files takes an edit of this table, and no stack that is up breaks.
 */
import type * as pulumi from "@pulumi/pulumi";

type ProviderModule = { provider: pulumi.dynamic.ResourceProvider };

// Required on first use: a provider process loads the types it serves, and nothing else.
const MODULES: Record<string, () => ProviderModule> = {
    AutoRefill: () => require("./billing/resource"),
    DataGuard: () => require("./guard/resource"),
    DatabaseSchema: () => require("./schema/resource"),
    Deployment: () => require("./deployment/resource"),
    Monitor: () => require("./monitor/resource"),
    PlatformUser: () => require("./user/resource"),
    RealtimeSubscription: () => require("./realtime/resource"),
    Sandbox: () => require("./sandbox/resource"),
    StorageBucket: () => require("./storage/resource"),
};

/** The types the registry knows, e.g. `StorageBucket`. */
export const TYPES = Object.keys(MODULES);

/** The provider of resource type `type` (the name in `pulumi-nodejs:dynamic/flownexus:<type>`). */
export function providerOf(type: string): pulumi.dynamic.ResourceProvider {
    const load = MODULES[type];
    if (!load) throw new Error(`flow-nexus has no resource type ${type} (known: ${TYPES.join(", ")})`);
    return load().provider;
}
