-- The W3C trace context (traceparent) of the request that wrote each outbox event, written in the same
-- insert, so a consumer's handling span continues the writer's trace (checkout → email, search update).
-- Nullable: rows written before this migration, and writers outside a trace, have none.
alter table outbox add column trace_parent text;
