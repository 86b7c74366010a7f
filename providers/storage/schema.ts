/** What a storage bucket is: every input with its type, bounds, default and replace rule, written once. */
import type { Backend } from "../runtime/crud";
import { backendRef, field, flag, list, tags, text, wholeNumber, z } from "../runtime/schema";

export const schema = z.object({
    name: field(
        text({
            pattern: "^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$",
            allowed: "3 to 63 lowercase letters, digits, dots, hyphens or underscores, starting and ending with a letter or digit",
        }),
        { description: "The bucket's name, its identity: a new name is a new bucket.", replaces: true },
    ),
    public: field(flag().default(false), { description: "Serve its objects to anyone at their public URL." }),
    // Supabase's limit on one object is far above 5 GiB; locally it keeps a runaway upload off the disk.
    fileSizeLimit: field(wholeNumber(1, 5 * 1024 ** 3, " bytes").default(50 * 1024 * 1024), { description: "The largest object accepted, in bytes." }),
    allowedMimeTypes: field(list(text({ pattern: "^[a-z0-9.+-]+/([a-z0-9.+-]+|\\*)$", allowed: "a MIME type such as image/png or image/*" })).default([]), {
        description: "The MIME types accepted (image/png, image/*); none: any.",
    }),
    forceDestroy: field(flag().default(false), { description: "Delete its objects with it; without it a bucket that holds objects is kept." }),
    backend: backendRef(["local", "cloud"], ["supabaseUrl", "supabaseServiceRoleKey", "databaseUrl"]),
    tags: tags(),
});

/** The resolved inputs of a bucket, defaults applied. */
export type Inputs = z.output<typeof schema>;

/** What the provider stores: the inputs and what the backend reports. */
export interface Outputs extends Inputs {
    bucketId: string;
    url: string;
}

/** What a backend implements for buckets. */
export type BucketBackend = Backend<Inputs, Outputs>;
