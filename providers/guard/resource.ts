/**
 * DataGuard: the resource that makes a refused destroy delete nothing.
 *
 * The engine deletes independent resources in parallel, so a bucket that
 * refuses its delete does not stop the schema's. A DataGuard depends on every
 * resource of its platform, so the engine deletes it first, and its delete
 * asks every data holder (bucket, schema, ledger) what deleting it would
 * lose: if any would lose data that no `forceDestroy` allows losing, it
 * refuses, and since everything else waits for it, nothing at all is deleted.
 */
import * as pulumi from "@pulumi/pulumi";
import { configureCredentials } from "../runtime/credentials";
import { DataKeptError } from "../runtime/crud";
import { sameValue } from "../runtime/diff";
import { Tags } from "../runtime/lineage";
import { FlowNexusResource } from "../runtime/resource";

/** The resource types that hold data, and where their provider (the `refusal` it offers) lives. */
const HOLDERS = {
    StorageBucket: () => import("../storage/resource"),
    DatabaseSchema: () => import("../schema/resource"),
    AutoRefill: () => import("../billing/resource"),
};

/** One data holder the guard checks: its type, its name, and the part of its state a refusal reads. */
export interface Holder {
    type: keyof typeof HOLDERS;
    /** The resource's name, for the message. */
    name: string;
    /** The stack config key that sets its forceDestroy, for the message. */
    setting?: string;
    state: Record<string, unknown>;
}

interface Inputs {
    holders: Holder[];
    tags: Tags;
}

type Outputs = Inputs;

/** What deleting every holder would lose that nothing allows losing, one line each. */
export async function refusals(holders: readonly Holder[]): Promise<string[]> {
    const found: string[] = [];
    for (const holder of holders) {
        const { provider } = await HOLDERS[holder.type]();
        const held = await provider.refusal(holder.state as never);
        if (held) found.push(`${held} (${holder.type} ${holder.name}${holder.setting ? `, ${holder.setting}` : ""})`);
    }
    return found;
}

class Provider implements pulumi.dynamic.ResourceProvider<Inputs, Outputs> {
    // A destroy deletes the guard first: the holders' cloud backends need the stack's credentials here too.
    readonly configure = configureCredentials;

    async check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>> {
        return { inputs: news };
    }

    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        return { changes: !sameValue(olds.holders, news.holders) || !sameValue(olds.tags, news.tags), replaces: [] };
    }

    async create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult<Outputs>> {
        return { id: inputs.tags["flow-nexus:urn"], outs: inputs };
    }

    async read(id: string, state?: Outputs): Promise<pulumi.dynamic.ReadResult<Outputs>> {
        return { id, props: state };
    }

    async update(_id: string, _olds: Outputs, news: Inputs): Promise<pulumi.dynamic.UpdateResult<Outputs>> {
        return { outs: news };
    }

    async delete(_id: string, state: Outputs): Promise<void> {
        const found = await refusals(state.holders);
        if (found.length === 0) return;
        throw new DataKeptError(
            `deleting this platform would lose data, so nothing was deleted:\n  - ${found.join("\n  - ")}\n` +
                "To delete the data with it, set forceDestroy: true on each of these (the config key named), run up, then destroy again.",
        );
    }
}

/** The implementation the registry hands this type's calls to, in the provider process. */
export const provider = new Provider();

/** The arguments of a {@link DataGuard}. */
export interface DataGuardArgs {
    /** The platform's data holders, with the state their refusal reads. */
    readonly holders: ReadonlyArray<{
        readonly type: Holder["type"];
        readonly name: pulumi.Input<string>;
        readonly setting?: string;
        readonly state: Readonly<Record<string, pulumi.Input<unknown>>>;
    }>;
}

/**
 * Refuses a destroy that would lose data, before anything is deleted. Give it
 * `dependsOn` every resource it protects (and the rest of its platform), so
 * that the engine deletes it first.
 */
export class DataGuard extends FlowNexusResource {
    constructor(name: string, args: DataGuardArgs, opts?: pulumi.CustomResourceOptions) {
        super("DataGuard", name, { holders: args.holders }, opts);
    }
}
