-- The API connects as a member of headless_app; only migrations run as the schema owner (issue 11).
--
-- 0009 granted headless_app DML on every table and set default privileges for the role that ran it. A
-- database migrated by another role before the owner/runtime split (a superuser) then gives tables created
-- by later migrations no grants, so the grants are renewed here for whoever migrates now, and default
-- privileges set for that role. Then what 0009 gave too widely is taken back: the runtime role reads
-- schema_migrations (to refuse a start with pending migrations) but never writes it. The audit log stays
-- INSERT and SELECT, plus UPDATE of client_ip alone, which GDPR erasure needs (its trigger lets that column
-- only be cleared). Nothing here drops or renames anything the running release reads.
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'headless_app') then
        raise warning 'headless_app role missing (the migrating user could not create it in 0009): create it and rerun, see docs/security.md';
        return;
    end if;
    grant usage on schema public to headless_app;
    grant select, insert, update, delete on all tables in schema public to headless_app;
    grant usage, select on all sequences in schema public to headless_app;
    alter default privileges in schema public grant select, insert, update, delete on tables to headless_app;
    alter default privileges in schema public grant usage, select on sequences to headless_app;

    revoke insert, update, delete, truncate on schema_migrations from headless_app;
    revoke update, delete, truncate on audit_log from headless_app;
    grant update (client_ip) on audit_log to headless_app;
    revoke insert, update, delete, truncate on audit_chain_head from headless_app;
    revoke create on schema public from headless_app;
end $$;
