-- Outbound webhooks (issue 16): endpoints that subscribe to public event types, one delivery per
-- (event, endpoint), and every attempt at it.
create table webhook_endpoints (
    id                   uuid primary key,
    url                  text not null,
    description          text not null default '',
    event_types          text[] not null,
    enabled              boolean not null default true,
    -- the signing secret (whsec_…), protected with ASP.NET Core data protection (purpose "Headless.Webhooks.Secret")
    secret               text not null,
    -- after a rotation the old secret still signs (a second signature) until previous_secret_until
    previous_secret      text,
    previous_secret_until timestamptz,
    -- why the platform disabled it (gone, failing); null when staff did or it is enabled
    disabled_reason      text,
    -- the first failed attempt since the last success: three days of failures disable the endpoint
    failing_since        timestamptz,
    version              integer not null default 1,
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now()
);
create index webhook_endpoints_list on webhook_endpoints (id);
create index webhook_endpoints_events on webhook_endpoints using gin (event_types) where enabled;

create table webhook_deliveries (
    id              uuid primary key,
    -- the fan-out order, which is the outbox's (txid, id) order: deliveries of one resource go out in it
    seq             bigserial not null unique,
    endpoint_id     uuid not null references webhook_endpoints (id) on delete cascade,
    outbox_id       bigint not null,
    event_type      text not null,
    resource_id     text not null,
    -- the exact JSON body every attempt sends (signed as is)
    payload         text not null,
    event_at        timestamptz not null,
    status          text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
    attempts        integer not null default 0,
    -- due time while pending; a claimed delivery's lease (a sender that dies mid-send is retried after it)
    next_attempt_at timestamptz not null default now(),
    last_status     integer,
    last_error      text,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    unique (endpoint_id, outbox_id)
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_order on webhook_deliveries (endpoint_id, resource_id, seq) where status = 'pending';
create index webhook_deliveries_log on webhook_deliveries (endpoint_id, seq desc);
create index webhook_deliveries_log_status on webhook_deliveries (endpoint_id, status, seq desc);
create index webhook_deliveries_failed on webhook_deliveries (endpoint_id, created_at) where status = 'failed';
create index webhook_deliveries_age on webhook_deliveries (created_at);

create table webhook_attempts (
    id               bigserial primary key,
    delivery_id      uuid not null references webhook_deliveries (id) on delete cascade,
    attempt          integer not null,
    at               timestamptz not null default now(),
    status_code      integer,
    latency_ms       integer not null,
    response_snippet text,
    error            text
);
create index webhook_attempts_delivery on webhook_attempts (delivery_id, id);

-- inventory.low_stock: raised when a product's low-stock flag turns on, in the transaction that changed the
-- stock, whichever path did (admin edit, import, checkout reservation): the flag is kept by 0013's trigger.
create function product_low_stock_event() returns trigger
    language plpgsql as $$
begin
    insert into outbox (topic, aggregate_type, aggregate_id, payload)
    values ('inventory.low_stock', 'product', new.id::text, jsonb_build_object('available', new.available_total));
    return null;
end $$;

create trigger product_low_stock after update of low_stock on products
    for each row when (new.low_stock and not old.low_stock) execute function product_low_stock_event();
