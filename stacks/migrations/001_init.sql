-- The platform's application schema: projects and the messages its realtime
-- subscription streams.
create table projects (
    id bigint generated always as identity primary key,
    name text not null unique,
    created_at timestamptz not null default now()
);

create table messages (
    id bigint generated always as identity primary key,
    project_id bigint not null references projects (id) on delete cascade,
    body text not null,
    created_at timestamptz not null default now()
);
