-- Issue 15, contract step of 0030/0031. Every row that still held plain personal data (written before 0030/0031) was
-- moved into the vaults by PlainDataMove, which the Migrator runs right before this migration (MigrationSteps; by hand:
-- ./build.sh vault-move-plain). Should a database reach this migration any other way with plain rows left, it stops
-- here, naming the command, and changes nothing.
--
-- Blue/green: what goes here is only what the release before this one (migrations 0030-0034) no longer reads or
-- writes: the address columns and the staff invitations' email. That release still reads users.email and orders'
-- email, shipping_address and billing_address as fallbacks for rows not yet moved (order views and lists, a signed-in
-- checkout, the customer list's order count) and writes them on erasure, so those columns stay, empty, until the next
-- release drops them (this release no longer reads or writes them; docs/operations.md, "Upgrade notes").
do $$
begin
    if exists (select 1 from users where email is not null or normalized_email is not null or first_name is not null or last_name is not null
                                      or (person_id is null and erased_at is null))
       or exists (select 1 from addresses where full_name is not null or line1 is not null or line2 is not null or city is not null
                                              or region is not null or postal_code is not null or country is not null or phone is not null)
       or exists (select 1 from staff_invitations where email is not null or normalized_email is not null)
       or exists (select 1 from orders where email is not null or shipping_address is not null or billing_address is not null) then
        raise exception 'Rows written before migrations 0030/0031 still hold plain personal data. Move them into the vaults first: '
            './build.sh vault-move-plain (dotnet Headless.Api.dll vault-move-plain), then migrate again. Nothing was changed.';
    end if;
end $$;

alter table addresses
    drop column full_name,
    drop column line1,
    drop column line2,
    drop column city,
    drop column region,
    drop column postal_code,
    drop column country,
    drop column phone;

alter table staff_invitations
    drop column email,
    drop column normalized_email;

-- Its index went in 0030; nothing calls it.
drop function if exists customer_search_text(text, text, text);

-- Every live account is a person now (both releases set it on every insert).
alter table users add constraint users_person_or_erased check (person_id is not null or erased_at is not null);
