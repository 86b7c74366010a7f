import * as pulumi from "@pulumi/pulumi";
import { AuditedProvider, DataKeptError } from "../runtime/crud";
import { diffInputs } from "../runtime/diff";
import { BackendRef } from "../runtime/lineage";
import type { LinkRef } from "../runtime/links";
import { FlowNexusResource } from "../runtime/resource";
import { ArgsOf, checkInputs, inputNames, replacedBy, seeded } from "../runtime/schema";
import { Inputs, Outputs, schema } from "./schema";

export { schema, Inputs, Outputs, BucketBackend } from "./schema";

class Provider extends AuditedProvider<Inputs, Outputs> {
    constructor() {
        super({
            type: "StorageBucket",
            inputs: inputNames(schema),
            // Loaded on first use, so a preview never loads the Supabase SDK.
            backends: { local: async () => (await import("./local")).backend, cloud: async () => (await import("./supabase")).backend },
            id: (outs) => outs.bucketId,
        });
    }

    async check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>> {
        return checkInputs(schema, news);
    }

    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        // The name is the bucket's identity: a new name is a new bucket.
        const diff = diffInputs(olds as never, news as never, inputNames(schema), replacedBy(schema));
        // The old bucket goes at the end of the run, with its old settings: one that holds objects stops the run here, at preview.
        const held = diff.replaces!.length > 0 ? await this.refusal(olds) : undefined;
        if (held) {
            const change = olds.name !== news.name ? `renaming bucket ${olds.name} to ${news.name}` : `moving bucket ${olds.name} to another backend`;
            throw new DataKeptError(
                `${change} would delete bucket ${olds.name}, which ${held.replace(/^bucket \S+ /, "")}: nothing was changed. ` +
                    "Empty it, or set forceDestroy: true on it and run up before the change (the old bucket is deleted with the settings it has); or keep it as it is.",
            );
        }
        return diff;
    }
}

/** The implementation the registry hands this type's calls to, in the provider process. */
export const provider = new Provider();

/** The arguments of a {@link StorageBucket}: its inputs (see ./schema), the lineage tags set for it. */
export type StorageBucketArgs = ArgsOf<typeof schema, "tags">;

/** A storage bucket: a folder of the stack's data locally, Supabase Storage in the cloud. */
export class StorageBucket extends FlowNexusResource {
    public readonly name!: pulumi.Output<string>;
    public readonly public!: pulumi.Output<boolean>;
    public readonly fileSizeLimit!: pulumi.Output<number>;
    public readonly allowedMimeTypes!: pulumi.Output<string[]>;
    public readonly bucketId!: pulumi.Output<string>;
    public readonly url!: pulumi.Output<string>;
    public readonly forceDestroy!: pulumi.Output<boolean>;
    public readonly backend!: pulumi.Output<BackendRef>;
    /** What a Deployment linked to it is told: its name and whether it is public. */
    public readonly link: pulumi.Output<LinkRef>;

    constructor(name: string, args: StorageBucketArgs, opts?: pulumi.CustomResourceOptions) {
        const props = { ...seeded(schema), ...args, bucketId: undefined, url: undefined };
        super("StorageBucket", name, props, opts);
        this.link = pulumi.all([this.name, this.public]).apply(([bucket, isPublic]) => ({ type: "StorageBucket" as const, name, bucket, public: isPublic }));
    }
}
