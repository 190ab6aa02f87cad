-- Issue 15, the contract step of 0030/0031: the plain personal columns go. Every row that still held plain text (written
-- before 0030/0031) was moved into the vaults by PlainDataMove, which the Migrator runs right before this migration
-- (MigrationSteps; by hand: ./build.sh vault-move-plain). Should a database reach this migration any other way with
-- plain rows left, it stops here, naming the command, and drops nothing.
--
-- Blue/green: the release running while this deploys (migrations 0030-0034) no longer reads or writes any of these
-- columns (it reads orders' and accounts' personal data from the vaults only), so dropping them under it is safe.
do $$
begin
    if exists (select 1 from users where email is not null or normalized_email is not null or first_name is not null or last_name is not null
                                      or (person_id is null and erased_at is null))
       or exists (select 1 from addresses where full_name is not null or line1 is not null or line2 is not null or city is not null
                                              or region is not null or postal_code is not null or country is not null or phone is not null)
       or exists (select 1 from staff_invitations where email is not null or normalized_email is not null)
       or exists (select 1 from orders where email is not null or shipping_address is not null or billing_address is not null) then
        raise exception 'Rows written before migrations 0030/0031 still hold plain personal data. Move them into the vaults first: '
            './build.sh vault-move-plain (dotnet Headless.Api.dll vault-move-plain), then migrate again. Nothing was dropped.';
    end if;
end $$;

alter table users
    drop column email,
    drop column normalized_email,
    drop column first_name,
    drop column last_name;
-- Its index went in 0030; the function read the dropped columns.
drop function if exists customer_search_text(text, text, text);

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

alter table orders
    drop column email,
    drop column shipping_address,
    drop column billing_address;

-- Every user is a person now.
alter table users add constraint users_person_or_erased check (person_id is not null or erased_at is not null);
