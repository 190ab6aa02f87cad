-- Issue 15: the core database refers to people by pseudonymous ids; their personal fields live in the vault of their
-- region (api/Platform/Vaults). A user (customer or staff) and an order name the person they belong to and the
-- region whose vault holds them. Filled by the account and checkout code; nullable while the plain columns are moved.
alter table users
    add column person_id     uuid,
    add column person_region text check (person_region in ('eu', 'us')),
    add check ((person_id is null) = (person_region is null));
create unique index users_person on users (person_id) where person_id is not null;

alter table orders
    add column person_id     uuid,
    add column person_region text check (person_region in ('eu', 'us')),
    add check ((person_id is null) = (person_region is null));
-- A customer's orders by person (guests included), newest first.
create index orders_person_newest on orders (person_id, created_at desc, id desc) where person_id is not null;
