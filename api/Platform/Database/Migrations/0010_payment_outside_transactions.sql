-- Checkout creates the order (stock reserved) in one short transaction and its PaymentIntent after the
-- commit, outside any transaction. The intent's idempotency key is derived from the order and this
-- attempt number; it moves on when the provider answered a failure (Stripe keeps that answer under
-- the key for 24 hours), so the shopper's retry can ask afresh for the same order.
alter table orders add column payment_attempt integer not null default 0;

-- Refunds (staff refunds and paid cancellations) are written 'pending' under the order's row lock, asked
-- of the provider after the commit under a key derived from this row, then completed with the provider's
-- refund id; a pending refund counts against what is left to refund, so concurrent refunds never exceed it.
alter table refunds alter column provider_ref drop not null;
