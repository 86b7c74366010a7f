/**
 * What a cloud stack may have left behind: the E2B sandboxes whose metadata
 * names the stack (the Sandbox resource tags each with `flow-nexus:stack`
 * and `flow-nexus:urn`), and the Supabase buckets the project database
 * records as made for it (flow_nexus.storage_buckets). ./orphans decides
 * which of them the stack no longer has; this removes one. A sandbox is
 * killed without the delete's metering (a sweeper never charges); a bucket
 * that holds objects is kept unless forced, as locally.
 */
import { backend as buckets } from "../../providers/storage/supabase";
import { e2bOptions, e2bSdk, supabaseClient } from "../../providers/runtime/clients";
import { e2bError } from "../../providers/runtime/cloud-errors";
import { credential, CredentialName } from "../../providers/runtime/credentials";
import { withDatabase } from "../../providers/runtime/postgres";
import { CLOUD } from "../backends/cloud-health";
import type { Removal } from "./local";
import type { FoundObject } from "./orphans";

async function sandboxes(stack: string): Promise<FoundObject[]> {
    const { Sandbox } = await e2bSdk();
    const found: FoundObject[] = [];
    try {
        const pages = Sandbox.list({ ...e2bOptions(), query: { metadata: { "flow-nexus:stack": stack } } });
        while (pages.hasNext) {
            for (const info of await pages.nextItems()) {
                found.push({ kind: "sandbox", id: info.sandboxId, stack, urn: info.metadata["flow-nexus:urn"], location: `E2B sandbox ${info.sandboxId}`, pids: [], cloud: true });
            }
        }
    } catch (err) {
        throw e2bError(err, `listing the E2B sandboxes of stack ${stack}`);
    }
    return found;
}

async function bucketsOf(stack: string): Promise<FoundObject[]> {
    const rows = await withDatabase(CLOUD, async (client) => {
        const table = await client.query<{ ok: boolean }>("select to_regclass('flow_nexus.storage_buckets') is not null as ok");
        if (!table.rows[0].ok) return [];
        return (await client.query<{ name: string; urn: string }>("select name, urn from flow_nexus.storage_buckets where stack = $1 order by name", [stack])).rows;
    });
    const supabase = await supabaseClient();
    return Promise.all(
        rows.map(async ({ name, urn }) => {
            const { data } = await supabase.storage.from(name).list("", { limit: 1 });
            return { kind: "bucket" as const, id: name, stack, urn, location: `Supabase bucket ${name}`, pids: [], objects: data?.length ?? 0, cloud: true };
        }),
    );
}

/** The stack's sandboxes at E2B and buckets at Supabase, each where its credentials are set. */
export async function scanCloud(stack: string): Promise<FoundObject[]> {
    const has = (...names: CredentialName[]) => names.every((name) => credential(name) !== undefined);
    return [
        ...(has("e2bApiKey") ? await sandboxes(stack) : []),
        ...(has("databaseUrl", "supabaseUrl", "supabaseServiceRoleKey") ? await bucketsOf(stack) : []),
    ];
}

export async function removeCloudObject(object: FoundObject, opts: { force: boolean }): Promise<Removal> {
    if (object.kind === "sandbox") {
        const { Sandbox } = await e2bSdk();
        try {
            await Sandbox.kill(object.id, e2bOptions());
        } catch (err) {
            throw e2bError(err, `killing E2B sandbox ${object.id}`);
        }
        return { removed: true };
    }
    if (object.kind === "bucket") {
        if ((object.objects ?? 0) > 0 && !opts.force) return { removed: false, reason: "holds objects: kept (pass --force to delete them)" };
        // The provider's delete: emptied when forced, deleted, and its record of who made it released.
        await buckets.delete(object.id, { name: object.id, forceDestroy: opts.force, tags: { "flow-nexus:urn": object.urn ?? "" }, backend: CLOUD } as never);
        return { removed: true };
    }
    return { removed: false, reason: `a cloud ${object.kind} is not removed by cleanup` };
}
