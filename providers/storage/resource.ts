import * as pulumi from "@pulumi/pulumi";
import { all, backendKind, boolean, checkProps, integer, list, optional, text } from "../runtime/check";
import { AuditedProvider, Backend, DataKeptError } from "../runtime/crud";
import { cloudCredentials } from "../runtime/credentials";
import { diffInputs } from "../runtime/diff";
import { BackendRef, lineageTags, Tags } from "../runtime/lineage";
import { forwardingProvider } from "../runtime/load";

const TYPE = "pulumi-nodejs:dynamic/flownexus:StorageBucket";

/** The resolved inputs of a bucket, defaults applied. */
export interface Inputs {
    name: string;
    public: boolean;
    /** Largest object accepted, in bytes. */
    fileSizeLimit: number;
    /** MIME types accepted (`image/png`, `image/*`); empty accepts any. */
    allowedMimeTypes: string[];
    /** Delete the bucket's objects with it; without it a bucket that holds objects is kept. */
    forceDestroy: boolean;
    backend: BackendRef;
    tags: Tags;
}

/** What the provider stores: the inputs and what the backend reports. */
export interface Outputs extends Inputs {
    bucketId: string;
    url: string;
}

/** What a backend implements for buckets. */
export type BucketBackend = Backend<Inputs, Outputs>;

/** Supabase's limit on a single object is far above this; locally it keeps a runaway upload off the disk. */
export const MAX_FILE_SIZE = 5 * 1024 ** 3;

const INPUTS = ["name", "public", "fileSizeLimit", "allowedMimeTypes", "forceDestroy", "backend", "tags"] as const;

/** The `check` rules, also used to validate stack config. */
export const rules = {
    name: text({
        pattern: "^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$",
        allowed: "3 to 63 lowercase letters, digits, dots, hyphens or underscores, starting and ending with a letter or digit",
    }),
    public: optional(boolean()),
    fileSizeLimit: optional(integer(1, MAX_FILE_SIZE, " bytes")),
    allowedMimeTypes: optional(list(text({ pattern: "^[a-z0-9.+-]+/([a-z0-9.+-]+|\\*)$", allowed: "a MIME type such as image/png or image/*" }))),
    forceDestroy: optional(boolean()),
    backend: all(backendKind(["local", "cloud"]), cloudCredentials(["supabaseUrl", "supabaseServiceRoleKey", "databaseUrl"])),
};

class Provider extends AuditedProvider<Inputs, Outputs> {
    constructor() {
        super({
            type: "StorageBucket",
            inputs: INPUTS,
            // Loaded on first use, so a preview never loads the Supabase SDK.
            backends: { local: async () => (await import("./local")).backend, cloud: async () => (await import("./supabase")).backend },
            id: (outs) => outs.bucketId,
        });
    }

    async check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>> {
        const inputs: Inputs = {
            ...news,
            public: news.public ?? false,
            fileSizeLimit: news.fileSizeLimit ?? 50 * 1024 * 1024,
            allowedMimeTypes: news.allowedMimeTypes ?? [],
            forceDestroy: news.forceDestroy ?? false,
        };
        return { inputs, failures: checkProps(inputs as unknown as Record<string, unknown>, rules) };
    }

    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        // The name is the bucket's identity: a new name is a new bucket.
        const diff = diffInputs(olds as never, news as never, INPUTS, ["name", "backend"]);
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

/** The implementation the serialized shell forwards to, in the provider process. */
export const provider = new Provider();

/** The arguments of a {@link StorageBucket}. */
export interface StorageBucketArgs {
    /** The bucket's name, unique on its backend; changing it replaces the bucket. */
    readonly name: pulumi.Input<Inputs["name"]>;
    /** Whether objects are readable without credentials. Default false. */
    readonly public?: pulumi.Input<Inputs["public"]>;
    /** Largest object accepted, in bytes. Default 50 MiB. */
    readonly fileSizeLimit?: pulumi.Input<Inputs["fileSizeLimit"]>;
    /** MIME types accepted. Default: any. */
    readonly allowedMimeTypes?: pulumi.Input<Inputs["allowedMimeTypes"]>;
    /** Delete the objects with the bucket. Default false: a bucket holding objects is kept. */
    readonly forceDestroy?: pulumi.Input<Inputs["forceDestroy"]>;
    /** Which backend holds it. */
    readonly backend: pulumi.Input<BackendRef>;
}

// One shell for every bucket: Pulumi caches a provider's serialization by identity.
const shell = forwardingProvider("StorageBucket");

/** A storage bucket: a folder of the stack's data locally, Supabase Storage in the cloud. */
export class StorageBucket extends pulumi.dynamic.Resource {
    public readonly name!: pulumi.Output<string>;
    public readonly public!: pulumi.Output<boolean>;
    public readonly fileSizeLimit!: pulumi.Output<number>;
    public readonly allowedMimeTypes!: pulumi.Output<string[]>;
    public readonly bucketId!: pulumi.Output<string>;
    public readonly url!: pulumi.Output<string>;
    public readonly forceDestroy!: pulumi.Output<boolean>;
    public readonly backend!: pulumi.Output<BackendRef>;

    constructor(name: string, args: StorageBucketArgs, opts?: pulumi.CustomResourceOptions) {
        const tags = lineageTags(name, TYPE, opts?.parent);
        // Inputs with defaults are seeded too: a key missing from props gets no output.
        const defaulted = { public: undefined, fileSizeLimit: undefined, allowedMimeTypes: undefined, forceDestroy: undefined };
        const props = { ...defaulted, ...args, tags, bucketId: undefined, url: undefined };
        super(shell, name, props, opts, "flownexus", "StorageBucket");
    }
}
