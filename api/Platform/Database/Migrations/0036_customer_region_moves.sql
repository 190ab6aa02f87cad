-- Issue 15: staff move a customer to the other region's vault (api/Features/Accounts/Admin/MoveCustomerRegion.cs).
--
-- users.version: the customer's version for If-Match on staff actions that change where the account's data lives
-- (a move bumps it). Adding a column with a constant default rewrites nothing.
alter table users add column version integer not null default 1 check (version > 0);

-- One row per move attempt: the copy goes into a new person of the target region (to_person) before core is repointed,
-- so a move interrupted after the copy leaves the customer on from_person (still readable) and this row open; the next
-- attempt finds it and either cleans the unreferenced copy (not repointed yet) or finishes the shred (repointed).
-- Pseudonymous: person ids and regions only.
create table customer_region_moves (
    id           uuid primary key,
    user_id      uuid not null references users (id),
    from_person  uuid not null,
    from_region  text not null check (from_region in ('eu', 'us')),
    to_person    uuid not null,
    to_region    text not null check (to_region in ('eu', 'us')),
    started_at   timestamptz not null default now(),
    repointed_at timestamptz,
    finished_at  timestamptz,
    outcome      text check (outcome in ('moved', 'abandoned')),
    check (from_region <> to_region),
    check ((finished_at is null) = (outcome is null))
);
-- At most one unfinished move per customer.
create unique index customer_region_moves_open on customer_region_moves (user_id) where finished_at is null;
