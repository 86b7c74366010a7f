import * as pulumi from "@pulumi/pulumi";
import { all, backendKind, checkProps, list, oneOf, optional, text } from "../runtime/check";
import { AuditedProvider, Backend } from "../runtime/crud";
import { cloudCredentials } from "../runtime/credentials";
import { diffInputs } from "../runtime/diff";
import { BackendRef, lineageTags, Tags } from "../runtime/lineage";
import { forwardingProvider } from "../runtime/load";

const TYPE = "pulumi-nodejs:dynamic/flownexus:RealtimeSubscription";

export const EVENTS = ["INSERT", "UPDATE", "DELETE", "*"] as const;

export interface Inputs {
    /** The table, `schema.table`. */
    table: string;
    /** The change events subscribers receive. */
    events: Array<(typeof EVENTS)[number]>;
    /** A Supabase-style row filter, `column=op.value`; empty for every row. */
    filter?: string;
    backend: BackendRef;
    tags: Tags;
}

export interface Outputs extends Inputs {
    subscriptionId: string;
    /** Whether the table is in the supabase_realtime publication right now. */
    active: boolean;
}

export type SubscriptionBackend = Backend<Inputs, Outputs>;

const INPUTS = ["table", "events", "filter", "backend", "tags"] as const;

// One backend for both kinds: the SQL is the same, and withDatabase connects
// to the stack's embedded Postgres (local) or to flow-nexus:databaseUrl
// (cloud) by the backend's kind. Loaded on first use, so a preview loads no driver.
const loadBackend = async () => (await import("./local")).backend;
const BACKENDS = { local: loadBackend, cloud: loadBackend };

/** The `check` rules, also used to validate stack config. */
export const rules = {
    table: text({
        pattern: "^[a-z_][a-z0-9_]{0,62}\\.[a-z_][a-z0-9_]{0,62}$",
        allowed: "schema.table, both lowercase Postgres identifiers (e.g. app.messages)",
    }),
    events: list(oneOf(EVENTS), { minItems: 1 }),
    filter: optional(
        text({
            pattern: "^[a-z_][a-z0-9_]*=(eq|neq|lt|lte|gt|gte|in)\\..+$",
            allowed: "column=op.value with op one of eq, neq, lt, lte, gt, gte, in (e.g. room_id=eq.42)",
        }),
    ),
    backend: all(backendKind(Object.keys(BACKENDS)), cloudCredentials(["databaseUrl"])),
};

class Provider extends AuditedProvider<Inputs, Outputs> {
    constructor() {
        super({
            type: "RealtimeSubscription",
            inputs: INPUTS,
            backends: BACKENDS,
            id: (outs) => outs.subscriptionId,
        });
    }

    async check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>> {
        const inputs: Inputs = { ...news, events: news.events ?? ["*"] };
        return { inputs, failures: checkProps(inputs as unknown as Record<string, unknown>, rules) };
    }

    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        // Another table is another subscription; events and filter change in place.
        return diffInputs(olds as never, news as never, INPUTS, ["table", "backend"]);
    }
}

/** The implementation the serialized shell forwards to, in the provider process. */
export const provider = new Provider();

const shell = forwardingProvider("RealtimeSubscription");

/** The arguments of a {@link RealtimeSubscription}. */
export interface RealtimeSubscriptionArgs {
    /** The table, `schema.table`; changing it replaces the subscription. */
    readonly table: pulumi.Input<string>;
    /** INSERT, UPDATE, DELETE or * (every event). Default ["*"]. */
    readonly events?: pulumi.Input<pulumi.Input<Inputs["events"][number]>[]>;
    /** A row filter such as `room_id=eq.42`. Default: every row. */
    readonly filter?: pulumi.Input<string>;
    /** Which backend's database holds the table. */
    readonly backend: pulumi.Input<BackendRef>;
}

/** A table's membership of the supabase_realtime publication (phase 2). */
export class RealtimeSubscription extends pulumi.dynamic.Resource {
    public readonly table!: pulumi.Output<string>;
    public readonly subscriptionId!: pulumi.Output<string>;
    public readonly active!: pulumi.Output<boolean>;

    constructor(name: string, args: RealtimeSubscriptionArgs, opts?: pulumi.CustomResourceOptions) {
        const tags = lineageTags(name, TYPE, opts?.parent);
        const props = { ...args, tags, subscriptionId: undefined, active: undefined };
        super(shell, name, props, opts, "flownexus", "RealtimeSubscription");
    }
}
