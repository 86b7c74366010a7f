/**
 * The local StorageBucket backend: a bucket is a folder under the stack's
 * data folder, its rules in `bucket.json`, its objects under `objects/`.
 * Apps reach it through the stack's gateway (gateway/storage.ts), which
 * serves Supabase's Storage API over it: its `url` is the gateway's, in the
 * shape a Supabase project's bucket URL has.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { ensureGateway } from "../runtime/gateway";
import type { BucketBackend, Inputs, Outputs } from "./schema";
import { bucketDir, countObjects, readRules, writeRules } from "./layout";

async function outputs(inputs: Inputs): Promise<Outputs> {
    const { url } = await ensureGateway(inputs.backend.dataDir!);
    return { ...inputs, bucketId: inputs.name, url: `${url}/storage/v1/object/${inputs.public ? "public/" : ""}${inputs.name}` };
}

export const backend: BucketBackend = {
    async create(inputs) {
        const dir = bucketDir(inputs.backend.dataDir!, inputs.name);
        const existing = await readRules(dir);
        // A bucket this stack's resource made before an interrupted run is
        // adopted; one that belongs to something else is never taken over.
        if (existing && existing.tags["flow-nexus:urn"] !== inputs.tags["flow-nexus:urn"]) {
            throw new Error(`a bucket named ${inputs.name} already exists (made by ${existing.tags["flow-nexus:urn"]})`);
        }
        await fs.mkdir(path.join(dir, "objects"), { recursive: true });
        await writeRules(dir, inputs);
        return outputs(inputs);
    },

    async read(_id, state) {
        const rules = await readRules(bucketDir(state.backend.dataDir!, state.name));
        return rules ? await outputs({ ...state, ...rules }) : undefined;
    },

    async update(_id, _olds, news) {
        await writeRules(bucketDir(news.backend.dataDir!, news.name), news);
        return outputs(news);
    },

    async held(state) {
        const objects = await countObjects(bucketDir(state.backend.dataDir!, state.name));
        return objects > 0 ? `bucket ${state.name} holds ${objects} object${objects === 1 ? "" : "s"}` : undefined;
    },

    async delete(_id, state) {
        // A bucket that holds objects reaches here only with forceDestroy (see runtime/crud).
        await fs.rm(bucketDir(state.backend.dataDir!, state.name), { recursive: true, force: true });
    },
};
