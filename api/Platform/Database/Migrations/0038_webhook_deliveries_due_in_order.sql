-- The sender claims due deliveries in (next_attempt_at, seq) order. With an index on next_attempt_at alone, every
-- claim read and sorted each group of rows sharing a due time before its limit (the fan-out now queues a whole
-- outbox round in one statement; it stamps each row with clock_timestamp(), but a manual redelivery still gives
-- many rows one now()). This index hands them out already in order, so a claim reads about as many rows as it
-- takes. It replaces the old one.
create index webhook_deliveries_due_in_order on webhook_deliveries (next_attempt_at, seq) where status = 'pending';
drop index webhook_deliveries_due;
