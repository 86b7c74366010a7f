/**
 * A table's place in the `supabase_realtime` publication, as one SQL block
 * each way, for the platform's probe table and for RealtimeSubscriptions.
 * The publication a Supabase project has may not be the one we would make:
 *
 * - defined `FOR ALL TABLES`: every table is in it already, and none can be
 *   added or dropped ("publication … is defined as FOR ALL TABLES"), so
 *   joining and leaving change nothing;
 * - owned by another role: only its owner (or a member of that role, or a
 *   superuser) may add or drop tables ("must be owner of publication
 *   supabase_realtime"), so the block stops before it, saying which role
 *   owns it and what to run or grant.
 *
 * Table names are `schema.table` of lowercase identifiers (the resources'
 * schemas check them), so they go into the SQL as they are.
 */

export const PUBLICATION = "supabase_realtime";

function block(table: string, verb: "add" | "drop"): string {
    const [schema, name] = table.split(".");
    if (!/^[a-z_][a-z0-9_]*$/.test(schema ?? "") || !/^[a-z_][a-z0-9_]*$/.test(name ?? "")) throw new Error(`not a schema.table of lowercase identifiers: ${table}`);
    const wanted = verb === "add" ? "not exists" : "exists";
    const what = verb === "add" ? `must join the ${PUBLICATION} publication` : `must leave the ${PUBLICATION} publication`;
    return `do $publication$
    declare
        pub record;
    begin
        select p.puballtables, pg_get_userbyid(p.pubowner) as owner, pg_has_role(p.pubowner, 'USAGE') as owned
            into pub from pg_publication p where p.pubname = '${PUBLICATION}';
        if not found then
            ${verb === "add" ? `create publication ${PUBLICATION} for table ${schema}.${name};` : ""}
            return;
        end if;
        if pub.puballtables then return; end if;
        if ${wanted} (select 1 from pg_publication_tables where pubname = '${PUBLICATION}' and schemaname = '${schema}' and tablename = '${name}') then
            if not pub.owned then
                raise exception using errcode = '42501', message = format(
                    'table ${table} ${what}, which role %s owns, and role %s may not change it (must be owner of publication ${PUBLICATION}): '
                    'run as %s (in the Supabase SQL editor: alter publication ${PUBLICATION} ${verb} table ${table};), '
                    'or let this role change it with: grant %s to %s; then run pulumi again',
                    pub.owner, current_user, pub.owner, pub.owner, current_user);
            end if;
            alter publication ${PUBLICATION} ${verb} table ${schema}.${name};
        end if;
    end $publication$`;
}

/**
 * Puts `table` in the publication (making the publication, with the table,
 * when there is none): nothing to do when it is in already or the publication is FOR ALL
 * TABLES; a clear 42501 when another role owns the publication.
 */
export function joinPublication(table: string): string {
    return block(table, "add");
}

/** Takes `table` out of the publication; nothing to do when it is not in, or the publication is FOR ALL TABLES. */
export function leavePublication(table: string): string {
    return block(table, "drop");
}
