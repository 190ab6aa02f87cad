-- The lease a sender holds on a delivery it claimed: a fresh token per claim. Only the holder of the current
-- lease settles the delivery when its send completes; a staff retry or redelivery clears the lease, so a send
-- already in flight then only logs its attempt and the delivery goes out again (same webhook-id) instead of
-- that send's completion overwriting the retry. Null while nobody holds it.
alter table webhook_deliveries add column lease uuid;
