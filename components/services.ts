import * as pulumi from "@pulumi/pulumi";
import { RealtimeSubscription } from "../providers/realtime/resource";
import { BackendRef } from "../providers/runtime/lineage";
import { Sandbox, SandboxArgs } from "../providers/sandbox/resource";
import { DatabaseSchema, Migration } from "../providers/schema/resource";
import { StorageBucket, StorageBucketArgs } from "../providers/storage/resource";

/** The arguments of {@link Services}. */
export interface ServicesArgs {
    /** The development sandbox, less its backend. */
    readonly sandbox: Omit<SandboxArgs, "backend">;
    /** The storage bucket, less its backend. */
    readonly storage: Omit<StorageBucketArgs, "backend">;
    /** The application schema and its append-only migrations. */
    readonly database: {
        readonly schema: pulumi.Input<string>;
        readonly migrations: pulumi.Input<pulumi.Input<Migration>[]>;
        /** Drop the schema's rows with it. Default false: a schema whose tables hold rows is kept. */
        readonly forceDestroy?: pulumi.Input<boolean>;
    };
    /** The table (in the schema) whose changes stream to subscribers, its events (default every event) and filter. */
    readonly realtime: { readonly table: pulumi.Input<string>; readonly events?: pulumi.Input<pulumi.Input<"INSERT" | "UPDATE" | "DELETE" | "*">[]>; readonly filter?: pulumi.Input<string> };
    /** Where the sandbox, the bucket and the database live. */
    readonly backends: { readonly sandbox: pulumi.Input<BackendRef>; readonly storage: pulumi.Input<BackendRef>; readonly database: pulumi.Input<BackendRef> };
}

/** What phase 2 is judged on, read from the resources' state. */
export interface ServicesState {
    sandboxStatus: string | undefined;
    bucketId: string | undefined;
    migrations: string[];
    applied: string[] | undefined;
    realtimeActive: boolean | undefined;
}

/** Phase 2 is complete when the sandbox runs, the bucket exists, every migration is applied and realtime is active. */
export function servicesComplete(s: ServicesState): boolean {
    const applied = s.applied ?? [];
    return (
        s.sandboxStatus === "running" &&
        Boolean(s.bucketId) &&
        s.migrations.length > 0 &&
        s.migrations.every((id) => applied.includes(id)) &&
        s.realtimeActive === true
    );
}

/** Phase 2, configure services: sandbox, storage, database schema and realtime. */
export class Services extends pulumi.ComponentResource {
    public readonly sandbox: Sandbox;
    public readonly bucket: StorageBucket;
    public readonly schema: DatabaseSchema;
    public readonly subscription: RealtimeSubscription;
    public readonly complete: pulumi.Output<boolean>;

    constructor(name: string, args: ServicesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flownexus:services:Services", name, {}, opts);
        const child = { parent: this };
        const { backends } = args;
        this.sandbox = new Sandbox(`${name}-sandbox`, { ...args.sandbox, backend: backends.sandbox }, child);
        this.bucket = new StorageBucket(`${name}-storage`, { ...args.storage, backend: backends.storage }, child);
        this.schema = new DatabaseSchema(`${name}-schema`, { ...args.database, backend: backends.database }, child);
        this.subscription = new RealtimeSubscription(
            `${name}-realtime`,
            {
                // Through the schema's output, so the table exists before it is published.
                table: pulumi.interpolate`${this.schema.schema}.${args.realtime.table}`,
                events: args.realtime.events,
                filter: args.realtime.filter,
                backend: backends.database,
            },
            child,
        );
        const migrations = pulumi.output(args.database.migrations).apply((ms) => ms.map((m) => m.id));
        this.complete = pulumi
            .all([this.sandbox.status, this.bucket.bucketId, migrations, this.schema.applied, this.subscription.active])
            .apply(([sandboxStatus, bucketId, ids, applied, realtimeActive]) =>
                servicesComplete({ sandboxStatus, bucketId, migrations: ids, applied, realtimeActive }),
            );
        this.registerOutputs({ complete: this.complete });
    }
}
