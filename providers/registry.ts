/**
 * Where each resource type's provider lives: the one place that knows.
 *
 * The provider every resource stores in its state names no file and no type
 * (see runtime/resource.ts): it hands each call here, and the type comes from
 * the resource's own URN. Refresh and destroy of a stack run that
 * stored provider (pulumi/pulumi#6490), so moving or splitting a provider's
 * files takes an edit of this table, and no stack that is up breaks. (A
 * stack last updated by an older flow-nexus stores one provider per type,
 * naming its type, until its next `up`: `providerOf` serves those.)
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

/** What the engine hands a provider: a resource's inputs or its state, with the lineage tags every flow-nexus resource carries. */
type Props = { tags?: { "flow-nexus:urn"?: unknown } } | undefined;

/**
 * The provider of the resource whose inputs or state are `props`, by the type
 * in its URN (`urn:pulumi:<stack>::<project>::<parents>$pulumi-nodejs:dynamic/flownexus:<type>::<name>`,
 * its `flow-nexus:urn` tag). The first of `props` that has one decides.
 */
export function providerFor(...props: Props[]): Required<pulumi.dynamic.ResourceProvider> {
    const urn = props.map((p) => p?.tags?.["flow-nexus:urn"]).find((u): u is string => typeof u === "string" && u.startsWith("urn:pulumi:"));
    const type = urn?.split("::")[2]?.split("$").pop()?.match(/^pulumi-nodejs:dynamic\/flownexus:(\w+)$/)?.[1];
    if (!type) throw new Error(`flow-nexus cannot tell this resource's type: its flow-nexus:urn tag is ${urn === undefined ? "missing" : JSON.stringify(urn)}`);
    return providerOf(type) as Required<pulumi.dynamic.ResourceProvider>;
}

// Each call of the stored provider (runtime/resource.ts), handed to its resource's type.

/** Stores the stack's cloud credentials from its config (the same for every type): the engine calls it first. */
export async function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    const { configureCredentials } = await import("./runtime/credentials");
    await configureCredentials(req);
}
export const check = async (olds: any, news: any) => providerFor(news, olds).check(olds, news);
export const diff = async (id: string, olds: any, news: any) => providerFor(news, olds).diff(id, olds, news);
export const create = async (inputs: any) => providerFor(inputs).create(inputs);
export const read = async (id: string, props: any) => providerFor(props).read(id, props);
export const update = async (id: string, olds: any, news: any) => providerFor(news, olds).update(id, olds, news);
// `delete` is a keyword: the export is named through a binding.
const remove = async (id: string, props: any) => providerFor(props).delete(id, props);
export { remove as delete };
