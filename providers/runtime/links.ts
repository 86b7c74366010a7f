/**
 * Links: what a deployed app is told about the platform resources it is
 * linked to. A linkable resource (DatabaseSchema, StorageBucket,
 * RealtimeSubscription, PlatformUser) offers a `link` output, its plain
 * attributes; a Deployment's `links` input is a list of them, and its app
 * receives `FLOW_NEXUS_RESOURCES` (those attributes, as JSON, by resource
 * name) and, for a linked schema, `DATABASE_URL` of a role of its own.
 */
import { flag, strictObject, text, z } from "./schema";

const name = text({ maxLength: 200 });

/** One linked resource's plain attributes; no secret is ever one of them. */
export const linkSchema = z.discriminatedUnion(
    "type",
    [
        strictObject({ type: z.literal("DatabaseSchema"), name, schema: text() }),
        strictObject({ type: z.literal("StorageBucket"), name, bucket: text(), public: flag() }),
        strictObject({ type: z.literal("RealtimeSubscription"), name, table: text() }),
        strictObject({ type: z.literal("PlatformUser"), name, userId: text(), email: text() }),
    ],
    { error: (iss) => `must be a link of a DatabaseSchema, StorageBucket, RealtimeSubscription or PlatformUser (got ${JSON.stringify(iss.input)})` },
);

export type LinkRef = z.output<typeof linkSchema>;

/** What `FLOW_NEXUS_RESOURCES` holds: each linked resource by its name, with its type and attributes. */
export function linkedResources(links: readonly LinkRef[]): Record<string, Omit<LinkRef, "name">> {
    return Object.fromEntries(links.map(({ name: key, ...attributes }) => [key, attributes]));
}

/** The environment variable that names the linked resources. */
export const RESOURCES_ENV = "FLOW_NEXUS_RESOURCES";
