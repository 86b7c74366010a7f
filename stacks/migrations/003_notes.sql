-- The notes of the realtime-notes app. The app reaches them through the
-- Supabase APIs (the stack's gateway locally, the project on the cloud) as a
-- signed-in user: these grants say what that role may do, as on Supabase.
create table notes (
    id bigint generated always as identity primary key,
    body text not null check (length(body) between 1 and 2000),
    attachment text,
    author uuid default auth.uid(),
    created_at timestamptz not null default now()
);

grant usage on schema app to authenticated, service_role;
grant select, insert, update, delete on notes to authenticated, service_role;
