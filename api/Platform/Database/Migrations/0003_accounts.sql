-- Accounts: users (customers and staff), roles, external logins, sessions, addresses, consents.
create table users (
    id                   uuid primary key,
    email                text not null,
    normalized_email     text not null unique,
    email_confirmed      boolean not null default false,
    password_hash        text,
    security_stamp       text not null,
    concurrency_stamp    text not null,
    two_factor_enabled   boolean not null default false,
    -- the TOTP secret, protected with ASP.NET Core data protection (purpose "Headless.Totp")
    authenticator_key    text,
    -- SHA-256 of each unused recovery code; a code is removed when redeemed
    recovery_code_hashes text[] not null default '{}',
    lockout_end          timestamptz,
    lockout_enabled      boolean not null default true,
    access_failed_count  integer not null default 0,
    first_name           text,
    last_name            text,
    must_change_password boolean not null default false,
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now(),
    erased_at            timestamptz
);

create table user_roles (
    user_id uuid not null references users (id) on delete cascade,
    role    text not null check (role in ('customer', 'staff', 'admin')),
    primary key (user_id, role)
);

create table user_logins (
    provider     text not null,
    provider_key text not null,
    display_name text,
    user_id      uuid not null references users (id) on delete cascade,
    created_at   timestamptz not null default now(),
    primary key (provider, provider_key)
);
create index user_logins_user on user_logins (user_id);

-- One row per signed-in device. Access tokens and cookies name their session; revoking it signs that
-- device out. The refresh token is stored hashed and rotates on every use; reuse of a spent one
-- revokes the session (a stolen token was replayed).
create table sessions (
    id                   uuid primary key,
    user_id              uuid not null references users (id) on delete cascade,
    kind                 text not null check (kind in ('bearer', 'cookie')),
    second_factor        boolean not null default false,
    refresh_token_hash   bytea unique,
    previous_token_hash  bytea,
    created_at           timestamptz not null default now(),
    last_seen_at         timestamptz not null default now(),
    expires_at           timestamptz not null,
    revoked_at           timestamptz,
    revoked_reason       text
);
create index sessions_user on sessions (user_id) where revoked_at is null;

create table addresses (
    id          uuid primary key,
    user_id     uuid not null references users (id) on delete cascade,
    kind        text not null check (kind in ('shipping', 'billing')),
    is_default  boolean not null default false,
    full_name   text not null,
    line1       text not null,
    line2       text not null default '',
    city        text not null,
    region      text not null default '',
    postal_code text not null default '',
    country     char(2) not null,
    phone       text not null default '',
    version     integer not null default 1,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
create index addresses_user on addresses (user_id);
create unique index addresses_one_default on addresses (user_id, kind) where is_default;

-- Consent is a history, not a flag: every grant and withdrawal is kept with the policy version.
create table consents (
    id             bigint generated always as identity primary key,
    user_id        uuid not null references users (id) on delete cascade,
    purpose        text not null,
    granted        boolean not null,
    policy_version text not null,
    at             timestamptz not null default now()
);
create index consents_user on consents (user_id, purpose, id);

-- ASP.NET Core data protection keys, shared by every API instance (tokens, cookies, TOTP secrets).
create table data_protection_keys (
    friendly_name text primary key,
    xml           text not null,
    created_at    timestamptz not null default now()
);

-- Machine keys get scopes instead of roles from now on; existing keys keep their admin role as a scope.
alter table api_keys rename column roles to scopes;
alter table api_keys add column created_by text;
