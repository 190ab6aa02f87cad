-- Issues 15 and 17: personal data out of the idempotency records and the audit log's full client addresses.
--
-- Idempotency records of checkouts and refunds keep a reference instead of the whole response (which held the
-- shopper's contact and addresses outside the vault): resource_id names what was created (the order, the refund),
-- secret is the one credential the answer carries that is kept nowhere else (an order's access token),
-- data-protected. A replay rebuilds the answer from the order and the person's vault.
-- Expand only: response stays, made nullable, so the release before this one keeps inserting and reading its own
-- records during a blue/green switch (a record it finds with a null response was written by this release; the
-- switch ends within the 24 hours records are kept). A later release may drop response once no release writes it.
alter table idempotency_keys
    alter column response drop not null,
    add column resource_id uuid,
    add column secret text;

-- An audit row written by a person (actor 'user:<id>') keeps only its client's network in client_ip, as before; the full
-- address is the vault field audit_ip.<client_ip_ref as 32 hex digits> of the actor's person, so erasure (shredding
-- the person) makes it unreadable in every copy. Outside the hashed content, like client_ip: the chain is unchanged.
alter table audit_log add column client_ip_ref uuid;
