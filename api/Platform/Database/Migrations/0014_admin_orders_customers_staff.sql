-- Admin orders, customers and staff (issue 12).

-- Order list filters: customer email (exact, any case) and total range, each newest first for the keyset.
create index orders_email_newest on orders (lower(email), created_at desc, id desc);
create index orders_total on orders (total, created_at desc, id desc);

-- Customer search by email or name (substring, any case): a trigram index over the folded text.
create function customer_search_text(email text, first_name text, last_name text) returns text
    language sql immutable parallel safe
    as $$ select lower(coalesce(email, '') || ' ' || coalesce(first_name, '') || ' ' || coalesce(last_name, '')) $$;
create index users_search_trgm on users using gin (customer_search_text(email, first_name, last_name) gin_trgm_ops);

-- Staff invitations: a one-time link (only its SHA-256 is kept) that sets the password of a new staff
-- account with the roles given. Pending = not accepted, not revoked, not expired.
create table staff_invitations (
    id               uuid primary key,
    email            text not null,
    normalized_email text not null,
    roles            text[] not null check (roles <@ array['staff', 'admin'] and cardinality(roles) > 0),
    token_hash       bytea not null unique,
    invited_by       text not null,
    created_at       timestamptz not null default now(),
    expires_at       timestamptz not null,
    accepted_at      timestamptz,
    accepted_user_id uuid references users (id) on delete set null,
    revoked_at       timestamptz,
    revoked_by       text
);
-- one open invitation per address
create unique index staff_invitations_open on staff_invitations (normalized_email) where accepted_at is null and revoked_at is null;
create index staff_invitations_newest on staff_invitations (created_at desc, id desc);
