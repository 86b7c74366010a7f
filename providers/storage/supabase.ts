/**
 * The cloud StorageBucket backend: Supabase Storage through its admin API
 * (service-role key). Storage calls return `{ data, error }` instead of
 * throwing, so every call's error is checked and mapped.
 *
 * Bucket names are unique per project and a bucket carries no metadata, so
 * which resource made a bucket is recorded beside the audit log, in
 * flow_nexus.storage_buckets of the cloud database, before the bucket is
 * created. A create adopts a bucket only if that record names its own URN
 * (an interrupted run); any other bucket of that name is left alone.
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import { requireCredential } from "../runtime/credentials";
import { supabaseClient } from "../runtime/clients";
import { supabaseError } from "../runtime/cloud-errors";
import { migratePlatform } from "../runtime/platform-tables";
import { withDatabase } from "../runtime/postgres";
import type { BucketBackend, Inputs, Outputs } from "./schema";

const OWNERS = `
    create table if not exists flow_nexus.storage_buckets (
        name text primary key,
        stack text not null,
        urn text not null,
        created_at timestamptz not null default now()
    )`;

/** A bucket as Storage describes it. */
interface Bucket {
    id: string;
    name: string;
    public: boolean;
    file_size_limit: number | null;
    allowed_mime_types: string[] | null;
}

/** The result of a Storage call: its data, or its error mapped (and thrown). */
type Result<T> = { data: T | null; error: unknown };

async function check<T>(call: Promise<Result<T>>, what: string): Promise<T> {
    const { data, error } = await call;
    if (error) throw supabaseError(error, what);
    return data as T;
}

/** The bucket, or undefined when Storage has none of that name. */
async function getBucket(supabase: SupabaseClient, name: string): Promise<Bucket | undefined> {
    const { data, error } = await supabase.storage.getBucket(name);
    if (!error) return data as Bucket;
    const mapped = supabaseError(error, `reading bucket ${name}`);
    if (mapped.failure === "not-found") return undefined;
    throw mapped;
}

/** Which resource a bucket name was claimed by, if any. */
function ownerOf(inputs: Inputs, name: string): Promise<string | undefined> {
    return withDatabase(inputs.backend, async (client) => {
        await migratePlatform(client, "storage", [OWNERS]);
        const { rows } = await client.query<{ urn: string }>("select urn from flow_nexus.storage_buckets where name = $1", [name]);
        return rows[0]?.urn;
    });
}

/** Claims the bucket's name for this resource; false when another resource holds it. */
function claim(inputs: Inputs): Promise<boolean> {
    return withDatabase(inputs.backend, async (client) => {
        await migratePlatform(client, "storage", [OWNERS]);
        const { rows } = await client.query<{ urn: string }>(
            `insert into flow_nexus.storage_buckets (name, stack, urn) values ($1, $2, $3)
             on conflict (name) do update set urn = flow_nexus.storage_buckets.urn
             returning urn`,
            [inputs.name, inputs.tags["flow-nexus:stack"], inputs.tags["flow-nexus:urn"]],
        );
        return rows[0].urn === inputs.tags["flow-nexus:urn"];
    });
}

function release(inputs: Inputs): Promise<void> {
    return withDatabase(inputs.backend, async (client) => {
        await migratePlatform(client, "storage", [OWNERS]);
        await client.query("delete from flow_nexus.storage_buckets where name = $1 and urn = $2", [inputs.name, inputs.tags["flow-nexus:urn"]]);
    });
}

/**
 * Creates or updates the bucket with its settings. A project refuses a
 * fileSizeLimit above its global file size limit (50 MB on the Free plan,
 * raised in the project's Storage settings on paid plans) with 413
 * EntityTooLarge; that limit cannot be read with the project's keys (only
 * the Management API, with an account's access token, shows it), so the
 * refusal is what tells it, and it is said as the input to change.
 */
async function apply(supabase: SupabaseClient, inputs: Inputs, verb: "createBucket" | "updateBucket"): Promise<void> {
    const what = `${verb === "createBucket" ? "creating" : "updating"} bucket ${inputs.name}`;
    const { error } = await supabase.storage[verb](inputs.name, settings(inputs));
    if (!error) return;
    const mapped = supabaseError(error, what);
    if (mapped.status !== 413) throw mapped;
    throw new Error(
        `${what} failed: fileSizeLimit (flow-nexus:storage.fileSizeLimit) is ${inputs.fileSizeLimit} bytes, above the Supabase project's global file size limit ` +
            `(Storage answered 413: ${(error as Error).message}). The Free plan allows 50 MB (52428800 bytes); paid plans allow more once it is raised ` +
            "in the project's Storage settings. Lower fileSizeLimit, or raise the project's limit; the bucket was not changed",
    );
}

/** The bucket's settings as Storage takes them; update sends the full state (a field left out is reset). */
function settings(inputs: Inputs) {
    return { public: inputs.public, fileSizeLimit: inputs.fileSizeLimit, allowedMimeTypes: inputs.allowedMimeTypes };
}

function outputs(inputs: Inputs): Outputs {
    const base = requireCredential("supabaseUrl").replace(/\/+$/, "");
    const url = `${base}/storage/v1/object/${inputs.public ? "public/" : ""}${inputs.name}`;
    return { ...inputs, bucketId: inputs.name, url };
}

export const backend: BucketBackend = {
    async create(inputs) {
        const supabase = await supabaseClient();
        const existing = await getBucket(supabase, inputs.name);
        const owner = await ownerOf(inputs, inputs.name);
        // Ours (an interrupted run claimed it) is adopted; anyone else's is never taken over.
        if (existing && owner !== inputs.tags["flow-nexus:urn"]) {
            throw new Error(`a bucket named ${inputs.name} already exists in the Supabase project (${owner ? `made by ${owner}` : "not made by flow-nexus"}); choose another name`);
        }
        if (!(await claim(inputs))) throw new Error(`the bucket name ${inputs.name} is claimed by ${await ownerOf(inputs, inputs.name)}; choose another name`);
        await apply(supabase, inputs, existing ? "updateBucket" : "createBucket");
        return outputs(inputs);
    },

    async read(_id, state) {
        const bucket = await getBucket(await supabaseClient(), state.name);
        if (!bucket) return undefined;
        // What the project has now: a change made in the dashboard shows as drift.
        return outputs({
            ...state,
            public: bucket.public,
            fileSizeLimit: bucket.file_size_limit ?? state.fileSizeLimit,
            allowedMimeTypes: bucket.allowed_mime_types ?? [],
        });
    },

    async update(_id, _olds, news) {
        await apply(await supabaseClient(), news, "updateBucket");
        return outputs(news);
    },

    async held(state) {
        const supabase = await supabaseClient();
        if (!(await getBucket(supabase, state.name))) return undefined;
        const objects = await check(supabase.storage.from(state.name).list("", { limit: 1 }), `listing bucket ${state.name}`);
        return objects.length > 0 ? `bucket ${state.name} holds objects` : undefined;
    },

    async delete(_id, state) {
        const supabase = await supabaseClient();
        if (!(await getBucket(supabase, state.name))) {
            await release(state);
            return;
        }
        // A bucket that holds objects reaches here only with forceDestroy (see runtime/crud).
        if (state.forceDestroy) await check(supabase.storage.emptyBucket(state.name), `emptying bucket ${state.name}`);
        const { error } = await supabase.storage.deleteBucket(state.name);
        if (error) {
            const mapped = supabaseError(error, `deleting bucket ${state.name}`);
            if (mapped.failure !== "not-found") throw mapped;
        }
        await release(state);
    },
};
