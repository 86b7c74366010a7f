/**
 * The create/read/update/delete half of every provider: pick the backend the
 * resource lives on, run the operation, and record it in the audit log.
 * Each resource's own module adds `check` and `diff`, which are its own.
 */
import type * as pulumi from "@pulumi/pulumi";
import { audited } from "./audit";
import { changedInputs } from "./diff";
import type { BackendRef, Tags } from "./lineage";

/** What a backend implements for one resource type. */
export interface Backend<I, O> {
    create(inputs: I): Promise<O>;
    /** The object as it is now, or undefined when it is gone. */
    read(id: string, state: O): Promise<O | undefined>;
    update(id: string, olds: O, news: I): Promise<O>;
    /** Deleting what is already gone succeeds. */
    delete(id: string, state: O): Promise<void>;
}

/** The inputs every flow-nexus resource has. */
export interface Managed {
    backend: BackendRef;
    tags: Tags;
}

export interface CrudSpec<I extends Managed, O extends I> {
    /** The resource type's name, e.g. `StorageBucket`. */
    type: string;
    /** The input properties (for the audit log's list of changes). */
    inputs: readonly string[];
    /** The backends, loaded on first use so that a preview never loads an SDK. */
    backends: Partial<Record<BackendRef["kind"], () => Promise<Backend<I, O>>>>;
    /** The resource's ID in its outputs. */
    id(outs: O): string;
}

/**
 * Outputs as the engine can take them: plain JSON, no `undefined` values
 * (the protobuf encoding the dynamic-provider host uses refuses them).
 */
function plain<O>(outs: O): O {
    return JSON.parse(JSON.stringify(outs)) as O;
}

export function auditedCrud<I extends Managed, O extends I>(spec: CrudSpec<I, O>) {
    const backendFor = (ref: BackendRef): Promise<Backend<I, O>> => {
        const load = spec.backends[ref.kind];
        if (!load) throw new Error(`${spec.type} has no ${ref.kind} backend`);
        return load();
    };
    return {
        async create(inputs: I): Promise<pulumi.dynamic.CreateResult<O>> {
            const backend = await backendFor(inputs.backend);
            const entry = { type: spec.type, action: "create", changed: spec.inputs } as const;
            const outs = await audited(inputs.backend, inputs.tags, entry, () => backend.create(inputs));
            return { id: spec.id(outs), outs: plain(outs) };
        },

        async read(id: string, state?: O): Promise<pulumi.dynamic.ReadResult<O>> {
            if (!state) return {};
            const outs = await (await backendFor(state.backend)).read(id, state);
            return outs ? { id, props: plain(outs) } : {};
        },

        async update(id: string, olds: O, news: I): Promise<pulumi.dynamic.UpdateResult<O>> {
            const backend = await backendFor(news.backend);
            const changed = changedInputs(olds as never, news as never, spec.inputs);
            const entry = { type: spec.type, action: "update", changed } as const;
            return { outs: plain(await audited(news.backend, news.tags, entry, () => backend.update(id, olds, news))) };
        },

        async delete(id: string, state: O): Promise<void> {
            const backend = await backendFor(state.backend);
            const entry = { type: spec.type, action: "delete", changed: [] } as const;
            await audited(state.backend, state.tags, entry, () => backend.delete(id, state));
        },
    };
}
