-- Issue 15: the erasure journal (api/Platform/Vaults/ErasureJournal.cs). Shredding a person destroys their data key in
-- the vault, but an older backup of the vault still holds it; restoring one would bring the person back. So every
-- erasure is also written here, outside the vault (and as an object in the erasure archive), and re-applied at start-up
-- and after a restore. Pseudonymous: the person's id, their region, when.
create table erasure_journal (
    person_id uuid primary key,
    region    text not null check (region ~ '^[a-z]{2}$'),
    erased_at timestamptz not null default now()
);

-- Append-only for the API: an erasure is never taken back.
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'headless_app') then
        revoke update, delete, truncate on erasure_journal from headless_app;
        grant select, insert on erasure_journal to headless_app;
    end if;
end $$;
