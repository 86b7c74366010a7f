/** What a database schema is: every input with its type, bounds, default and replace rule, written once. */
import type { Backend } from "../runtime/crud";
import { backendRef, field, flag, list, tags, text, z } from "../runtime/schema";

const migration = z.object(
    {
        id: text({ pattern: "^[A-Za-z0-9_.-]{1,100}$", allowed: "1 to 100 letters, digits, dots, hyphens or underscores" }),
        sql: z.string({ error: "must be SQL text" }).refine((sql) => sql.trim() !== "", { error: "must not be empty" }).meta({ allowed: "SQL" }),
    },
    { error: "must be { id, sql }" },
);

/** Why a list of migrations cannot be applied as it is: two with one id. */
export function duplicateId(migrations: ReadonlyArray<{ id: string }>): string | undefined {
    const ids = migrations.map((m) => m.id);
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    return twice === undefined ? undefined : `has two migrations with id ${twice}: ids must be unique`;
}

/**
 * Schemas a DatabaseSchema must never own: Postgres's, the platform's, and
 * those a Supabase project keeps for its services (auth, storage, realtime,
 * …). Its delete drops its schema with everything in it.
 */
export const RESERVED_SCHEMAS = [
    "public",
    "information_schema",
    "flow_nexus",
    "auth",
    "storage",
    "realtime",
    "_realtime",
    "extensions",
    "graphql",
    "graphql_public",
    "vault",
    "pgbouncer",
    "pgsodium",
    "pgsodium_masks",
    "net",
    "cron",
    "supabase_functions",
    "supabase_migrations",
    "_analytics",
];

export const schema = z.object({
    schema: field(
        text({
            pattern: "^(?!pg_)[a-z_][a-z0-9_]{0,62}$",
            allowed: "a Postgres identifier: up to 63 lowercase letters, digits or underscores, not starting with a digit or pg_",
        }).refine((name) => !RESERVED_SCHEMAS.includes(name), {
            error: (iss) => `must not be ${JSON.stringify(iss.input)}: it is one of Postgres's, Supabase's or the platform's own schemas (${RESERVED_SCHEMAS.join(", ")}), and the resource drops its schema when it goes`,
        }),
        { description: "The schema's name; a new name is a new schema (one that holds rows stops the change).", replaces: true },
    ),
    migrations: field(
        list(migration, { minItems: 1 }).superRefine((migrations, ctx) => {
            const reason = duplicateId(migrations);
            if (reason) ctx.addIssue({ code: "custom", message: reason });
        }),
        { description: "Append-only: new migrations go at the end; applied ones never change." },
    ),
    forceDestroy: field(flag().default(false), { description: "Drop it with its rows; without it a schema whose tables hold rows is kept." }),
    backend: backendRef(["local", "cloud"], ["databaseUrl"]),
    tags: tags(),
});

export type Inputs = z.output<typeof schema>;

/** One migration: applied once, in its own transaction, never edited afterwards. */
export type Migration = Inputs["migrations"][number];

export interface Outputs extends Inputs {
    /** The ids of the migrations applied, in order. */
    applied: string[];
    /** The id of the last migration applied. */
    version: string;
    /** sha256 over every applied migration's id and SQL. */
    checksum: string;
}

export type SchemaBackend = Backend<Inputs, Outputs>;
