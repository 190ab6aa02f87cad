-- Outbox consumers: each named consumer (email, search indexer, storefront rebuild, webhooks) keeps
-- its own position in the outbox, in (txid, id) order. One instance at a time works a consumer (a
-- transaction-level advisory lock on its name, see OutboxConsumer).
-- A failing event holds its consumer back: retry_* say which one, how often it failed and when any
-- instance may try it again, so the backoff holds across instances.
create table outbox_consumers (
    name            text primary key,
    position_txid   xid8 not null default '0',
    position_id     bigint not null default 0,
    updated_at      timestamptz,
    retry_outbox_id bigint,
    retry_attempts  integer not null default 0,
    retry_at        timestamptz
);

-- Dead letters: events a consumer gave up on after its retries, kept for a person to look at.
create table outbox_failures (
    consumer   text not null,
    outbox_id  bigint not null,
    topic      text not null,
    attempts   integer not null,
    error      text not null,
    failed_at  timestamptz not null default now(),
    primary key (consumer, outbox_id)
);

-- Emails that went out, by the outbox event that asked for them: a redelivered event is not sent twice.
create table email_deliveries (
    outbox_id bigint primary key,
    template  text not null,
    sent_at   timestamptz not null default now()
);
