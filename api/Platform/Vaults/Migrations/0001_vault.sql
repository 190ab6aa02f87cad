-- A regional personal-data vault: people's fields encrypted under their own data keys (docs/architecture.md,
-- "Personal data: core and regional vaults"). Nothing here is readable without the region's keys.

-- Each version of the region's key-encryption key (KEK): a key file's name, or a KMS key id.
create table vault_kek_versions (
    version    integer primary key check (version > 0),
    provider   text not null check (provider in ('file', 'kms')),
    key_ref    text not null,
    created_at timestamptz not null default now()
);

-- One row per person: the data key wrapped by a KEK version, and the email's blind index. Shredding keeps the row
-- as a tombstone without its key, so a copy of the fields restored from an old backup finds no key to open it with.
create table vault_people (
    id          uuid primary key,
    country     text not null check (country ~ '^[A-Z]{2}$'),
    kek_version integer references vault_kek_versions (version),
    wrapped_key bytea,
    email_index bytea,
    created_at  timestamptz not null default now(),
    shredded_at timestamptz,
    check ((shredded_at is null) = (wrapped_key is not null and kek_version is not null)),
    check (shredded_at is null or email_index is null)
);
create unique index vault_people_email_index on vault_people (email_index);
-- The re-wrap job's batches: live keys still under an older KEK version.
create index vault_people_kek_version on vault_people (kek_version, id) where wrapped_key is not null;

create table vault_fields (
    person_id  uuid not null references vault_people (id),
    name       text not null check (name ~ '^[a-z][a-z0-9_.]{0,62}$'),
    ciphertext bytea not null,
    updated_at timestamptz not null default now(),
    primary key (person_id, name)
);

-- The API's least-privileged role, where it exists (the local cluster, the tests; production grants its own).
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'headless_app') then
        grant select, insert, update, delete on vault_people, vault_fields to headless_app;
        grant select, insert on vault_kek_versions to headless_app;
        -- The readiness check compares the applied vault migrations with the embedded ones.
        grant select on vault_schema_migrations to headless_app;
    end if;
end $$;
