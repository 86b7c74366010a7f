/** A linked DatabaseSchema: DATABASE_URL reaches it, as the app's own role. */
export interface DatabaseSchemaLink { type: "DatabaseSchema"; name: string; schema: string }
/** A linked StorageBucket. */
export interface StorageBucketLink { type: "StorageBucket"; name: string; bucket: string; public: boolean }
/** A linked RealtimeSubscription: `table` is `schema.table`. */
export interface RealtimeSubscriptionLink { type: "RealtimeSubscription"; name: string; table: string }
/** A linked PlatformUser (never its password). */
export interface PlatformUserLink { type: "PlatformUser"; name: string; userId: string; email: string }
export type Link = DatabaseSchemaLink | StorageBucketLink | RealtimeSubscriptionLink | PlatformUserLink;

type Env = Record<string, string | undefined>;

/** Every linked resource, by name. */
export function resources(env?: Env): Record<string, Omit<Link, "name">>;
/** The one linked resource of a type, or a linked resource by name; throws naming what is linked when it is not there. */
export function linked(type: "DatabaseSchema", env?: Env): DatabaseSchemaLink;
export function linked(type: "StorageBucket", env?: Env): StorageBucketLink;
export function linked(type: "RealtimeSubscription", env?: Env): RealtimeSubscriptionLink;
export function linked(type: "PlatformUser", env?: Env): PlatformUserLink;
export function linked(name: string, env?: Env): Link;
