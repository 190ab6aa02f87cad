-- The sender claims due deliveries in (next_attempt_at, seq) order. The fan-out now queues a whole outbox round
-- in one statement, so thousands of deliveries share one next_attempt_at (the statement's now()); with an index
-- on next_attempt_at alone every claim read and sorted the whole tie group before its limit. This index hands
-- them out already in order, so a claim reads about as many rows as it takes. It replaces the old one.
create index webhook_deliveries_due_in_order on webhook_deliveries (next_attempt_at, seq) where status = 'pending';
drop index webhook_deliveries_due;
