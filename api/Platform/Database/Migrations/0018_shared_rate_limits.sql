-- One budget per (limit, client address, window) for every API instance (issue 13): the per-IP limits on
-- login, registration and password reset were counted in each process's memory, so N instances behind a
-- load balancer allowed N times the limit. UNLOGGED: a counter lost in a crash only forgives one minute of
-- attempts, and skipping the WAL keeps a login attempt to one cheap upsert (nor does the standby need it).
create unlogged table if not exists rate_limit_windows (
    limit_name    text        not null,
    partition_key text        not null,
    window_start  timestamptz not null,
    expires_at    timestamptz not null,
    hits          integer     not null,
    primary key (limit_name, partition_key, window_start)
);

-- The sweep deletes windows that have ended.
create index if not exists rate_limit_windows_expires_at on rate_limit_windows (expires_at);
