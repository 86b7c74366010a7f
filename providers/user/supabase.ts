/**
 * The cloud PlatformUser backend: Supabase Auth through its admin API
 * (service-role key). The account carries its lineage tags in
 * `user_metadata`, so a create finds the account an interrupted run made
 * (by email, then tag) and adopts it; an account of that email that this
 * resource did not make is never taken over. Auth calls return
 * `{ data, error }`: every error is checked and mapped.
 *
 * Supabase keeps only a hash of the password, so a password changed out of
 * band cannot be seen as drift here (the local backend can verify it).
 */
import type { SupabaseClient, User } from "@supabase/supabase-js";
import { supabaseClient } from "../runtime/clients";
import { supabaseError } from "../runtime/cloud-errors";
import type { Inputs, Outputs, UserBackend } from "./schema";

const URN = "flow-nexus:urn";
const STACK = "flow-nexus:stack";
const FULL_NAME = "full_name";
/** The user_metadata keys flow-nexus owns; the rest is the user's metadata. */
const OWN_KEYS = [URN, STACK, FULL_NAME];
const PAGE_SIZE = 200;

function userMetadata(inputs: Inputs): Record<string, string> {
    return {
        ...inputs.metadata,
        ...(inputs.fullName !== undefined ? { [FULL_NAME]: inputs.fullName } : {}),
        [STACK]: inputs.tags[STACK],
        [URN]: inputs.tags[URN],
    };
}

function outputs(inputs: Inputs, user: User): Outputs {
    const stored = (user.user_metadata ?? {}) as Record<string, string>;
    const metadata = Object.fromEntries(Object.entries(stored).filter(([key]) => !OWN_KEYS.includes(key)));
    const fullName = typeof stored[FULL_NAME] === "string" ? stored[FULL_NAME] : undefined;
    return {
        ...inputs,
        email: user.email ?? inputs.email,
        fullName,
        metadata,
        userId: user.id,
        profile: { id: user.id, email: user.email ?? inputs.email, fullName: fullName ?? "", metadata, createdAt: new Date(user.created_at).toISOString() },
    };
}

/** The account with this email, or undefined (the admin API lists, it does not look up by email). */
async function byEmail(supabase: SupabaseClient, email: string): Promise<User | undefined> {
    const wanted = email.toLowerCase();
    for (let page = 1; ; page++) {
        const { data, error } = await supabase.auth.admin.listUsers({ page, perPage: PAGE_SIZE });
        if (error) throw supabaseError(error, `looking up the Supabase user ${email}`);
        const found = data.users.find((u) => u.email?.toLowerCase() === wanted);
        if (found) return found;
        if (data.users.length < PAGE_SIZE) return undefined;
    }
}

/** The account, or undefined when Auth has none with this id. */
async function byId(supabase: SupabaseClient, id: string): Promise<User | undefined> {
    const { data, error } = await supabase.auth.admin.getUserById(id);
    if (!error) return data.user ?? undefined;
    const mapped = supabaseError(error, `reading Supabase user ${id}`);
    if (mapped.failure === "not-found") return undefined;
    throw mapped;
}

async function update(supabase: SupabaseClient, id: string, olds: Pick<Outputs, "password" | "userId"> & Partial<Pick<Outputs, "metadata" | "fullName">>, news: Inputs): Promise<Outputs> {
    // The password only when it changed: sending it again would sign the user out of other sessions.
    const passwordChanged = olds.password !== news.password || olds.userId !== id;
    // Auth merges user_metadata into what it has, and deletes only a key sent as null: a key the inputs dropped is sent so.
    const metadata: Record<string, string | null> = userMetadata(news);
    const before = { ...olds.metadata, ...(olds.fullName !== undefined ? { [FULL_NAME]: olds.fullName } : {}) };
    for (const key of Object.keys(before)) if (!(key in metadata)) metadata[key] = null;
    const { data, error } = await supabase.auth.admin.updateUserById(id, {
        ...(passwordChanged ? { password: news.password } : {}),
        user_metadata: metadata,
    });
    if (error) {
        const mapped = supabaseError(error, `updating Supabase user ${id} (${news.email})`);
        if (mapped.failure === "not-found") throw new Error(`user ${id} (${news.email}) no longer exists: run pulumi refresh, then up`);
        throw mapped;
    }
    return outputs(news, data.user!);
}

export const backend: UserBackend = {
    async create(inputs) {
        const supabase = await supabaseClient();
        const existing = await byEmail(supabase, inputs.email);
        if (existing) {
            if (existing.user_metadata?.[URN] !== inputs.tags[URN]) {
                throw new Error(
                    `a Supabase user with email ${inputs.email} already exists and was not made by this resource: ` +
                        "use another email, or remove that user in the Supabase dashboard",
                );
            }
            // Made by an interrupted run of this resource: adopt it, with the password and profile asked for now.
            const { metadata, fullName } = outputs(inputs, existing);
            return update(supabase, existing.id, { password: "", userId: "", metadata, fullName }, inputs);
        }
        const { data, error } = await supabase.auth.admin.createUser({
            email: inputs.email,
            password: inputs.password,
            // Provisioned by the platform: no confirmation mail to click.
            email_confirm: true,
            user_metadata: userMetadata(inputs),
        });
        if (error) throw supabaseError(error, `creating the Supabase user ${inputs.email}`);
        return outputs(inputs, data.user!);
    },

    async read(id, state) {
        const user = await byId(await supabaseClient(), id);
        return user ? outputs(state, user) : undefined;
    },

    async update(id, olds, news) {
        return update(await supabaseClient(), id, olds, news);
    },

    async delete(id, state) {
        const { error } = await (await supabaseClient()).auth.admin.deleteUser(id);
        if (!error) return;
        const mapped = supabaseError(error, `deleting Supabase user ${id} (${state.email})`);
        // Deleting what is already gone succeeds.
        if (mapped.failure !== "not-found") throw mapped;
    },
};
