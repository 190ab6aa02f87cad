-- Background jobs (Platform/Jobs): long work a request starts and a person watches (CSV imports, bulk
-- product edits). The API answers 202 with the job; a runner in any instance claims it and reports
-- progress here, so every instance can answer "how far is it".
-- A running job belongs to one claim (`attempt`): a runner's writes name the attempt they belong to, so
-- a runner that was presumed dead (no heartbeat for a while) and whose job was taken over cannot write
-- over its successor. `heartbeat_at` is how the others tell a live runner from a dead one.
create table jobs (
    id               uuid primary key,
    kind             text not null check (length(kind) between 1 and 100),
    status           text not null default 'queued'
                     check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    total            integer check (total >= 0),
    processed        integer not null default 0 check (processed >= 0),
    succeeded        integer not null default 0 check (succeeded >= 0),
    failed           integer not null default 0 check (failed >= 0),
    -- At most Jobs.MaxErrors entries; error_count keeps counting past the cap.
    errors           jsonb not null default '[]' check (jsonb_typeof(errors) = 'array'),
    error_count      integer not null default 0,
    input            jsonb not null default '{}',
    result           jsonb,
    created_by       text not null,
    created_at       timestamptz not null default now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    heartbeat_at     timestamptz,
    attempt          integer not null default 0,
    runner           text,
    cancel_requested boolean not null default false,
    version          integer not null default 1
);

-- The runner's claim looks for the oldest queued job; recovery for running jobs with an old heartbeat.
create index jobs_queued on jobs (id) where status = 'queued';
create index jobs_running on jobs (heartbeat_at) where status = 'running';
-- The admin list: newest first (ids are UUIDv7, so id order is creation order), optionally one kind.
create index jobs_kind_id on jobs (kind, id desc);

-- Files a job works on (an uploaded CSV), kept apart from the row so the list and the progress polls
-- never read them. Dropped with the job.
create table job_files (
    job_id  uuid primary key references jobs (id) on delete cascade,
    name    text not null,
    content bytea not null
);

-- A new job wakes the runners at commit (they also poll, so a lost notification only delays).
create function jobs_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('jobs', new.kind);
    return null;
end $$;

create trigger jobs_queued_notify after insert on jobs
    for each row when (new.status = 'queued') execute function jobs_notify();
