/**
 * Links: what a deployed app is told about the platform resources it is
 * linked to. A linkable resource (DatabaseSchema, StorageBucket,
 * RealtimeSubscription, PlatformUser) offers a `link` output, its plain
 * attributes; a Deployment's `links` input is a list of them, and its app
 * receives `FLOW_NEXUS_RESOURCES` (those attributes, as JSON, by resource
 * name); for a linked schema, `DATABASE_URL` of a role of its own; for a
 * linked bucket, subscription or user, `SUPABASE_URL` and `SUPABASE_ANON_KEY`
 * (and `SUPABASE_SERVICE_ROLE_KEY` when a link asks for it).
 */
import type * as pulumi from "@pulumi/pulumi";
import { CredentialName, missingCredentials, requireCredential } from "./credentials";
import { flag, list, strictObject, text, UNKNOWN, z } from "./schema";

const name = text({ maxLength: 200 });
/** Whether the app also gets the service-role key (it bypasses every access rule): only when the link asks. */
const serviceRole = flag().optional();

/** One linked resource's plain attributes; no secret is ever one of them. */
export const linkSchema = z.discriminatedUnion(
    "type",
    [
        strictObject({ type: z.literal("DatabaseSchema"), name, schema: text(), serviceRole }),
        strictObject({ type: z.literal("StorageBucket"), name, bucket: text(), public: flag(), serviceRole }),
        strictObject({ type: z.literal("RealtimeSubscription"), name, table: text(), serviceRole }),
        strictObject({ type: z.literal("PlatformUser"), name, userId: text(), email: text(), serviceRole }),
    ],
    { error: (iss) => `must be a link of a DatabaseSchema, StorageBucket, RealtimeSubscription or PlatformUser (got ${JSON.stringify(iss.input)})` },
);

export type LinkRef = z.output<typeof linkSchema>;

/** A `links` input: linked resources, each named once (none by default). */
export function linkList() {
    return list(linkSchema)
        .refine((links) => new Set(links.map((l) => l.name)).size === links.length, { error: "must name each resource once" })
        .default([]);
}

/** A resource a deployment or sandbox can be linked to: DatabaseSchema, StorageBucket, RealtimeSubscription, PlatformUser. */
export interface Linkable {
    readonly link: pulumi.Output<LinkRef>;
}

/**
 * A link that also gives the app SUPABASE_SERVICE_ROLE_KEY, which bypasses
 * every access rule of storage, auth and realtime: for a server-side app
 * that needs it (`links: [withServiceRole(bucket)]`), never for a page.
 */
export function withServiceRole(resource: Linkable): Linkable {
    return { link: resource.link.apply((link) => ({ ...link, serviceRole: true })) };
}

/** What `FLOW_NEXUS_RESOURCES` holds: each linked resource by its name, with its type and attributes. */
export function linkedResources(links: readonly LinkRef[]): Record<string, Omit<LinkRef, "name" | "serviceRole">> {
    return Object.fromEntries(links.map(({ name: key, serviceRole: _asked, ...attributes }) => [key, attributes]));
}

/** The links served by Supabase's APIs (storage, realtime, auth): they give the app SUPABASE_URL and its keys. */
export function supabaseLinks(links: readonly LinkRef[]): { linked: boolean; serviceRole: boolean } {
    const served = links.filter((l) => l.type !== "DatabaseSchema");
    return { linked: served.length > 0, serviceRole: links.some((l) => l.serviceRole === true) };
}

/** The environment variables links set; an app's own `env` may not. */
export const LINKED_ENV = ["DATABASE_URL", "FLOW_NEXUS_RESOURCES", "SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY"] as const;

/** The environment variable that names the linked resources. */
export const RESOURCES_ENV = "FLOW_NEXUS_RESOURCES";

/** Why a cloud deployment or sandbox cannot have its links: the credentials they need that the stack lacks (for `check`). */
export function missingLinkCredentials(kind: unknown, links: unknown): string | undefined {
    return Array.isArray(links) && !JSON.stringify(links).includes(UNKNOWN) ? missingCredentials(kind, linkCredentials(links as LinkRef[])) : undefined;
}

/** The credentials an app's links need on the cloud: the project's URL and anon key (and service-role key when asked). */
export function linkCredentials(links: readonly LinkRef[]): CredentialName[] {
    const supabase = supabaseLinks(links);
    if (!supabase.linked) return [];
    return ["supabaseUrl", "supabaseAnonKey", ...(supabase.serviceRole ? (["supabaseServiceRoleKey"] as const) : [])];
}

/**
 * The environment links give an app on the cloud: FLOW_NEXUS_RESOURCES, and
 * the Supabase project's own URL and keys, from the stack's credentials (at
 * deploy time: never in state).
 */
export function cloudLinkEnv(links: readonly LinkRef[]): Record<string, string> {
    const env: Record<string, string> = { [RESOURCES_ENV]: JSON.stringify(linkedResources(links)) };
    const names: Record<string, CredentialName> = { SUPABASE_URL: "supabaseUrl", SUPABASE_ANON_KEY: "supabaseAnonKey", SUPABASE_SERVICE_ROLE_KEY: "supabaseServiceRoleKey" };
    const needed = linkCredentials(links);
    for (const [variable, credential] of Object.entries(names)) if (needed.includes(credential)) env[variable] = requireCredential(credential);
    return env;
}
