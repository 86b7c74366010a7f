-- Usage events the billing phase reads (sandbox seconds, deployments).
create table usage_events (
    id bigint generated always as identity primary key,
    kind text not null,
    quantity numeric not null check (quantity >= 0),
    recorded_at timestamptz not null default now()
);
