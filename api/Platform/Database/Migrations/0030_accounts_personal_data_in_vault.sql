-- Issue 15: accounts' personal fields move into the regional vaults. Every user is a person (users.person_id,
-- person_region, from 0029) whose email, names and addresses are vault fields under their own data
-- key; sign-in finds them by the vault's blind index, then the users row by person_id.
--
-- Expand/contract: this release stops writing the plain columns and makes them nullable; it does not drop them, so the
-- release before it can still read this schema during a blue/green switch. A later release drops them once no running
-- release reads them and the rows written before this release have been moved into the vault (not built yet: such rows
-- have no person_id, and this release does not find them by email).

-- users: the plain email and names. Uniqueness of an account per person is users_person (0029); the email's
-- uniqueness is the vault's blind index (vault_people_email_index).
alter table users
    alter column email drop not null,
    alter column normalized_email drop not null;
alter table users drop constraint users_normalized_email_key;
-- Customer search over plain text is gone: names are ciphertext now (the admin list searches by exact email through the
-- blind index instead).
drop index users_search_trgm;

-- addresses: only what is not personal stays in core (id, owner, kind, default flag, version, times); the address
-- itself is the vault field address.<id, 32 hex digits> (JSON) of the owner's person.
alter table addresses
    alter column full_name drop not null,
    alter column line1 drop not null,
    alter column line2 drop not null,
    alter column city drop not null,
    alter column region drop not null,
    alter column postal_code drop not null,
    alter column country drop not null,
    alter column phone drop not null;

-- consents stay as they are: the ledger (pseudonymous owner id, purpose, granted or withdrawn, the shop's policy version,
-- when) holds nothing that names or describes the person; erasure keeps it as proof of what was agreed.

-- staff_invitations: the invitee is a person in the vault (made at invitation time, by email); the open-invitation
-- uniqueness moves from the plain address to the person.
alter table staff_invitations
    alter column email drop not null,
    alter column normalized_email drop not null,
    add column person_id     uuid,
    add column person_region text check (person_region in ('eu', 'us')),
    add check ((person_id is null) = (person_region is null));
drop index staff_invitations_open;
create unique index staff_invitations_open on staff_invitations (person_id) where accepted_at is null and revoked_at is null and person_id is not null;
