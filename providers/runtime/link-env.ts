/**
 * A local deployment's (or sandbox's) links, made real. For a linked bucket, subscription
 * or user: the stack's gateway (its URL and keys, derived anew at each start,
 * never stored). For a linked DatabaseSchema, a
 * login role of the app's own (one per deployment or sandbox: its
 * `holder`) in the stack's Postgres, with privileges on that schema's tables
 * and sequences and nothing else (not superuser, no other schema, no
 * `flow_nexus` table, no DDL: the schema's migrations own its shape),
 * dropped with its holder. Its password is never stored: it
 * is derived from the server's own (kept 0600 in the data folder), so the
 * app's `DATABASE_URL` is made anew at each start and is never in state.
 */
import { createHmac } from "crypto";
import type { ClientBase } from "pg";
import { ensureGateway } from "./gateway";
import { linkedResources, LinkRef, RESOURCES_ENV, supabaseLinks } from "./links";
import { withDatabase } from "./postgres";
import { DATABASE, ensurePostgres } from "./postgres-server";

/** The app's role: one per deployment or sandbox. */
export function roleOf(holder: string): string {
    return `app_${holder.replace(/[^a-z0-9]/g, "_")}`;
}

const quoted = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

function passwordOf(serverPassword: string, role: string): string {
    return createHmac("sha256", serverPassword).update(`flow-nexus link role ${role}`).digest("base64url");
}

async function roleExists(client: ClientBase, role: string): Promise<boolean> {
    return (await client.query("select 1 from pg_roles where rolname = $1", [role])).rowCount === 1;
}

/** Revokes every privilege the role has in this database (it owns nothing, so nothing else goes). */
async function revokeAll(client: ClientBase, role: string): Promise<void> {
    await client.query(`drop owned by ${quoted(role)}`);
}

/**
 * Makes the app's role hold exactly the privileges its links give: created
 * when a schema is linked, its grants made anew at each deploy (so an unlinked
 * schema is no longer reachable), dropped when no schema is linked.
 */
export async function grantLinks(dataDir: string, holder: string, links: readonly LinkRef[]): Promise<void> {
    const schemas = links.flatMap((l) => (l.type === "DatabaseSchema" ? [l.schema] : []));
    const role = roleOf(holder);
    if (schemas.length === 0) return dropLinkRole(dataDir, holder);
    const { password } = await ensurePostgres(dataDir);
    await withDatabase(dataDir, async (client) => {
        const who = quoted(role);
        const secret = passwordOf(password, role).replace(/'/g, "''");
        if (await roleExists(client, role)) {
            await revokeAll(client, role);
            await client.query(`alter role ${who} with login password '${secret}'`);
        } else {
            await client.query(`create role ${who} with login nosuperuser nocreatedb nocreaterole noinherit noreplication password '${secret}'`);
        }
        await client.query(`alter role ${who} set search_path = ${schemas.map(quoted).join(", ")}`);
        for (const schema of schemas.map(quoted)) {
            await client.query(`grant usage on schema ${schema} to ${who}`);
            await client.query(`grant select, insert, update, delete on all tables in schema ${schema} to ${who}`);
            await client.query(`grant usage, select, update on all sequences in schema ${schema} to ${who}`);
            // Tables a later migration makes are the app's too.
            await client.query(`alter default privileges in schema ${schema} grant select, insert, update, delete on tables to ${who}`);
            await client.query(`alter default privileges in schema ${schema} grant usage, select, update on sequences to ${who}`);
        }
    });
}

/** Drops the app's role, when there is one. */
export async function dropLinkRole(dataDir: string, holder: string): Promise<void> {
    const role = roleOf(holder);
    await withDatabase(dataDir, async (client) => {
        if (!(await roleExists(client, role))) return;
        await revokeAll(client, role);
        await client.query(`drop role ${quoted(role)}`);
    });
}

/**
 * The environment the links give the app: FLOW_NEXUS_RESOURCES always,
 * DATABASE_URL for a linked schema, the stack's gateway and keys for a
 * linked bucket, subscription or user (the service-role key when asked).
 */
export async function linkEnv(dataDir: string, holder: string, links: readonly LinkRef[]): Promise<Record<string, string>> {
    const env: Record<string, string> = { [RESOURCES_ENV]: JSON.stringify(linkedResources(links)) };
    if (links.some((l) => l.type === "DatabaseSchema")) {
        const { port, password } = await ensurePostgres(dataDir);
        const role = roleOf(holder);
        env.DATABASE_URL = `postgresql://${role}:${encodeURIComponent(passwordOf(password, role))}@127.0.0.1:${port}/${DATABASE}`;
    }
    const supabase = supabaseLinks(links);
    if (supabase.linked) {
        const gateway = await ensureGateway(dataDir);
        env.SUPABASE_URL = gateway.url;
        env.SUPABASE_ANON_KEY = gateway.anonKey;
        if (supabase.serviceRole) env.SUPABASE_SERVICE_ROLE_KEY = gateway.serviceRoleKey;
    }
    return env;
}
