-- Issue 15: an order's contact email and addresses live in the vault of its person's region (fields
-- order.<orderIdN>.email, .shipping_address, .billing_address); the core keeps the person's id and region, and what tax
-- and fulfilment need without naming anyone: the shipping country and region code. Expand/contract: the plain columns
-- become nullable and are no longer written; a later release drops them once old rows are moved.
alter table orders
    alter column email drop not null,
    alter column shipping_address drop not null,
    alter column billing_address drop not null,
    add column ship_country text check (ship_country ~ '^[A-Z]{2}$'),
    add column ship_region  text;

-- The admin list's email filter goes through the vault's blind index to the person, then orders_person_newest.
drop index if exists orders_email_newest;
