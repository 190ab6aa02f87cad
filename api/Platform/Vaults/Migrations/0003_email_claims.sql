-- An account whose email is not confirmed yet claims the address without owning it (issue 15): its person keeps the
-- email as a field and the claim's blind index here, while email_index (the address's owner: a confirmed account, or a
-- guest who ordered with it) stays where it is. Confirming the email turns the claim into the email_index, merging
-- the account into a guest person that holds it. So an unconfirmed registration never links to, nor can erase, a
-- guest's data. Unique like email_index: one open claim per address.
alter table vault_people add column email_claim_index bytea;
create unique index vault_people_email_claim_index on vault_people (email_claim_index);
alter table vault_people add check (shredded_at is null or email_claim_index is null);
