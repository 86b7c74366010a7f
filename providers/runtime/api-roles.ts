/**
 * What every Supabase database has and a local stack's must have too, so
 * that one schema's migrations and policies run unchanged in both: the API
 * roles (`anon`, `authenticated`, `service_role`, which bypasses row-level
 * security) and the `auth.uid()`, `auth.role()` and `auth.jwt()` helpers
 * policies call. The gateway's REST API runs each request as one of these
 * roles. Made once per database, before any schema's migrations.
 */
import type { ClientBase } from "pg";
import { migratePlatform } from "./platform-tables";

const API_ROLES = `
    do $$ begin
        if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin noinherit; end if;
        if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin noinherit; end if;
        if not exists (select 1 from pg_roles where rolname = 'service_role') then create role service_role nologin noinherit bypassrls; end if;
    end $$;
    create schema if not exists auth;
    create or replace function auth.uid() returns uuid language sql stable as
        $f$ select nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $f$;
    create or replace function auth.role() returns text language sql stable as
        $f$ select nullif(current_setting('request.jwt.claim.role', true), '') $f$;
    create or replace function auth.jwt() returns jsonb language sql stable as
        $f$ select coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb $f$;
    grant usage on schema auth to anon, authenticated, service_role`;

/** Makes the API roles and `auth` helpers when the local database lacks them. */
export function ensureApiRoles(client: ClientBase): Promise<void> {
    return migratePlatform(client, "api-roles", [API_ROLES]);
}
