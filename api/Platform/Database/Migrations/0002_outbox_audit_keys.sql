-- The outbox: every write appends its events here in the same transaction.
-- txid orders the change feed safely: rows are only handed out once every transaction
-- that could still add a smaller txid has finished (see CatalogChangeFeed).
create table outbox (
    id             bigint generated always as identity primary key,
    txid           xid8 not null default pg_current_xact_id(),
    topic          text not null,
    aggregate_type text not null,
    aggregate_id   text not null,
    payload        jsonb not null default '{}',
    created_at     timestamptz not null default now()
);
create index outbox_txid on outbox (txid, id);

-- Wakes in-process caches and consumers as soon as the writing transaction commits.
create function outbox_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('outbox', new.aggregate_type || ':' || new.aggregate_id);
    return null;
end $$;
create trigger outbox_notify after insert on outbox for each row execute function outbox_notify();

create table audit_log (
    id          bigint generated always as identity primary key,
    at          timestamptz not null default now(),
    actor       text not null,
    action      text not null,
    entity_type text not null,
    entity_id   text not null,
    before      jsonb,
    after       jsonb,
    client_ip   inet,
    trace_id    text
);
create index audit_log_entity on audit_log (entity_type, entity_id, id);

create table api_keys (
    id           uuid primary key,
    name         text not null,
    prefix       text not null,
    key_hash     bytea not null unique,
    roles        text[] not null,
    created_at   timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
