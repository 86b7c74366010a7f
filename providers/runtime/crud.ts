/**
 * The create/read/update/delete half of every provider: pick the backend the
 * resource lives on, run the operation, and record it in the audit log.
 * Each resource's own module adds `check` and `diff`, which are its own.
 *
 * Every error leaves through `scrubError`: the dynamic-provider host prints
 * errors with their stacks, and a cloud SDK's error may quote a credential.
 */
import type * as pulumi from "@pulumi/pulumi";
import { configureCredentials, scrubError } from "./credentials";
import { changedInputs } from "./diff";
import { DataKeptError } from "./errors";
import type { BackendRef, Tags } from "./lineage";

/** The audit log and its database, loaded on first use: a program (or a preview) never needs them. */
const auditLog = () => import("./audit");

/** What a backend implements for one resource type. */
export interface Backend<I, O> {
    create(inputs: I): Promise<O>;
    /** The object as it is now, or undefined when it is gone. */
    read(id: string, state: O): Promise<O | undefined>;
    update(id: string, olds: O, news: I): Promise<O>;
    /** Deleting what is already gone succeeds. */
    delete(id: string, state: O): Promise<void>;
    /**
     * What deleting the object would lose (`bucket x holds 3 objects`), or
     * undefined when it holds nothing; only backends of data holders have it.
     */
    held?(state: O): Promise<string | undefined>;
    /** Whether deleting was allowed after the state was written (a replacement's forceDestroy). */
    forced?(state: O): Promise<boolean>;
    /**
     * Why the object is down though it exists (its process died: a reboot,
     * an OOM kill), or undefined while it runs. Cheap: every `diff` asks, and
     * a down object is updated, which starts it again.
     */
    down?(id: string, state: O): Promise<string | undefined>;
}

export { DataKeptError };

/** The inputs every flow-nexus resource has. */
export interface Managed {
    backend: BackendRef;
    tags: Tags;
    /** Data holders only: delete their data with them. */
    forceDestroy?: boolean;
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

/** Runs an operation; whatever it throws is scrubbed of credentials first. */
async function scrubbed<T>(operation: () => Promise<T>): Promise<T> {
    try {
        return await operation();
    } catch (err) {
        throw scrubError(err);
    }
}

/**
 * The CRUD methods of a provider, and its `configure`, which stores the
 * cloud credentials from stack config (the engine calls it first, in the
 * provider process); credentials never become inputs or outputs.
 */
export function auditedCrud<I extends Managed, O extends I>(spec: CrudSpec<I, O>) {
    const backendFor = (ref: BackendRef): Promise<Backend<I, O>> => {
        const load = spec.backends[ref.kind];
        if (!load) throw new Error(`${spec.type} has no ${ref.kind} backend`);
        return load();
    };
    /** What deleting would lose and nothing allows losing, or undefined. */
    const refusal = async (state: O): Promise<string | undefined> => {
        const backend = await backendFor(state.backend);
        if (!backend.held || state.forceDestroy || (await backend.forced?.(state))) return undefined;
        return backend.held(state);
    };
    return {
        configure: configureCredentials,
        refusal: (state: O) => scrubbed(() => refusal(state)),

        // Only local objects die with the machine; cloud ones are the service's to keep up.
        down: (id: string, state: O) =>
            scrubbed(async () => (state.backend?.kind === "local" && state.backend.dataDir ? (await backendFor(state.backend)).down?.(id, state) : undefined)),

        create: (inputs: I): Promise<pulumi.dynamic.CreateResult<O>> =>
            scrubbed(async () => {
                const backend = await backendFor(inputs.backend);
                const entry = { type: spec.type, action: "create", changed: spec.inputs } as const;
                const { audited } = await auditLog();
                const outs = await audited(inputs.backend, inputs.tags, entry, () => backend.create(inputs), spec.id);
                return { id: spec.id(outs), outs: plain(outs) };
            }),

        read: (id: string, state?: O): Promise<pulumi.dynamic.ReadResult<O>> =>
            scrubbed(async () => {
                if (!state) return {};
                const outs = await (await backendFor(state.backend)).read(id, state);
                if (outs) return { id, props: plain(outs) };
                await (await auditLog()).forgotten(state.backend, state.tags, id);
                return {};
            }),

        update: (id: string, olds: O, news: I): Promise<pulumi.dynamic.UpdateResult<O>> =>
            scrubbed(async () => {
                const backend = await backendFor(news.backend);
                const changed = changedInputs(olds as never, news as never, spec.inputs);
                const entry = { type: spec.type, action: "update", changed } as const;
                const { audited } = await auditLog();
                return { outs: plain(await audited(news.backend, news.tags, entry, () => backend.update(id, olds, news), id)) };
            }),

        delete: (id: string, state: O): Promise<void> =>
            scrubbed(async () => {
                const backend = await backendFor(state.backend);
                const entry = { type: spec.type, action: "delete", changed: [] } as const;
                // Data the user did not ask to lose stops the delete before anything goes.
                const held = await refusal(state);
                if (held) {
                    throw new DataKeptError(`${held}: nothing was deleted. Set forceDestroy: true on it (and run up) to delete it with its data, or empty it first.`);
                }
                const { audited } = await auditLog();
                await audited(state.backend, state.tags, entry, () => backend.delete(id, state), id);
            }),
    };
}

/**
 * The base of every flow-nexus provider: configure, create, read, update and
 * delete come from {@link auditedCrud}; a resource's own module adds the
 * `check` and `diff` that are its own.
 */
export abstract class AuditedProvider<I extends Managed, O extends I> implements pulumi.dynamic.ResourceProvider<I, O> {
    readonly configure: ReturnType<typeof auditedCrud<I, O>>["configure"];
    readonly create: ReturnType<typeof auditedCrud<I, O>>["create"];
    readonly read: ReturnType<typeof auditedCrud<I, O>>["read"];
    readonly update: ReturnType<typeof auditedCrud<I, O>>["update"];
    readonly delete: ReturnType<typeof auditedCrud<I, O>>["delete"];
    /** What deleting the object in `state` would lose that nothing allows losing (a data holder's), or undefined. */
    readonly refusal: ReturnType<typeof auditedCrud<I, O>>["refusal"];
    /** Why the object in `state` is down (see {@link Backend.down}), or undefined. */
    readonly down: ReturnType<typeof auditedCrud<I, O>>["down"];

    constructor(spec: CrudSpec<I, O>) {
        const crud = auditedCrud(spec);
        ({ configure: this.configure, create: this.create, read: this.read, update: this.update, delete: this.delete } = crud);
        ({ refusal: this.refusal, down: this.down } = crud);
        // Every diff also asks whether the object still runs: a platform whose
        // processes died (a reboot) comes back with the next `up`, through an
        // update of each object that is down, without a refresh.
        const own = this.diff.bind(this);
        this.diff = async (id, olds, news) => {
            const diff = await own(id, olds, news);
            if (diff.changes || (diff.replaces?.length ?? 0) > 0) return diff;
            return (await this.down(id, olds)) ? { ...diff, changes: true } : diff;
        };
    }

    abstract check(olds: I, news: I): Promise<pulumi.dynamic.CheckResult<I>>;
    abstract diff(id: string, olds: O, news: I): Promise<pulumi.dynamic.DiffResult>;
}
