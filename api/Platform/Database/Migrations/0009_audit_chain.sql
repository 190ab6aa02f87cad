-- A tamper-evident audit log (issue 11, item 5).
--
-- Every row gets a sequence number and a SHA-256 hash over its canonical content and the previous row's
-- hash, so altering, deleting or reordering rows with SQL breaks the chain where it happened
-- (`./build.sh audit-verify`, GET /api/v1/admin/audit/verification). The client IP is personal data that
-- GDPR erasure must be able to remove, so it stays outside the hashed content: nulling it is the one
-- change the table accepts. Expand only: the columns are added and filled by a trigger, so a release that
-- does not know them keeps inserting as before.

alter table audit_log add column seq bigint, add column prev_hash bytea, add column hash bytea;

-- The head of the chain: one row, locked by each insert so rows chain in a single total order even with
-- concurrent writers (audit rows are written on staff and account actions only, never on the checkout
-- path, so serialising them costs nothing that matters).
create table audit_chain_head (
    singleton  boolean primary key default true check (singleton),
    seq        bigint not null,
    hash       bytea not null,
    updated_at timestamptz not null default now()
);

-- The canonical serialisation: a version tag, then each field as "<utf-8 byte length>:<text>\n" ("-\n" for
-- null), so no two different rows serialise alike. Time is microseconds since the Unix epoch; jsonb is
-- PostgreSQL's own normalised text. AuditChain.Canonical in the API builds the same bytes to verify.
create function audit_field(v text) returns text language sql immutable as $$
    select case when v is null then E'-\n' else octet_length(v)::text || ':' || v || E'\n' end
$$;

create function audit_row_hash(seq bigint, at timestamptz, actor text, action text, entity_type text, entity_id text,
                               before jsonb, after jsonb, trace_id text, prev_hash bytea) returns bytea
language sql immutable as $$
    select sha256(convert_to(E'headless-audit-v1\n'
        || audit_field(seq::text)
        || audit_field(((extract(epoch from at) * 1000000)::bigint)::text)
        || audit_field(actor) || audit_field(action) || audit_field(entity_type) || audit_field(entity_id)
        || audit_field(before::text) || audit_field(after::text) || audit_field(trace_id)
        || audit_field(encode(prev_hash, 'hex')), 'UTF8'))
$$;

-- Chain the rows written before this migration, oldest first.
do $$
declare
    r    record;
    n    bigint := 0;
    prev bytea := decode(repeat('00', 32), 'hex');
    h    bytea;
begin
    for r in select * from audit_log order by id loop
        n := n + 1;
        h := audit_row_hash(n, r.at, r.actor, r.action, r.entity_type, r.entity_id, r.before, r.after, r.trace_id, prev);
        update audit_log set seq = n, prev_hash = prev, hash = h where id = r.id;
        prev := h;
    end loop;
    insert into audit_chain_head (seq, hash) values (n, prev);
end $$;

alter table audit_log alter column seq set not null, alter column prev_hash set not null, alter column hash set not null;
create unique index audit_log_seq on audit_log (seq);
create index audit_log_actor on audit_log (actor, seq);
create index audit_log_action on audit_log (action, seq);
create index audit_log_at on audit_log (at);

-- Security definer: the app's role may read the head but not move it.
create function audit_log_chain() returns trigger language plpgsql security definer set search_path = public, pg_temp as $$
declare
    head record;
begin
    -- FOR UPDATE waits for a concurrent writer to commit and then reads its new head.
    select seq, hash into head from audit_chain_head for update;
    new.at := now();
    new.seq := head.seq + 1;
    new.prev_hash := head.hash;
    new.hash := audit_row_hash(new.seq, new.at, new.actor, new.action, new.entity_type, new.entity_id,
                               new.before, new.after, new.trace_id, new.prev_hash);
    update audit_chain_head set seq = new.seq, hash = new.hash, updated_at = now();
    return new;
end $$;

create trigger audit_log_chain before insert on audit_log for each row execute function audit_log_chain();

create function audit_log_append_only() returns trigger language plpgsql as $$
begin
    -- GDPR erasure: clearing the client IP, and nothing else, is allowed.
    if tg_op = 'UPDATE' and new.client_ip is null and (to_jsonb(new) - 'client_ip') = (to_jsonb(old) - 'client_ip') then
        return new;
    end if;
    raise exception 'audit_log is append-only: % refused', tg_op
        using errcode = 'insufficient_privilege', hint = 'Audit rows can only be inserted; only client_ip may be cleared (GDPR erasure).';
end $$;

create trigger audit_log_no_update before update on audit_log for each row execute function audit_log_append_only();
create trigger audit_log_no_delete before delete on audit_log for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log for each statement execute function audit_log_append_only();

-- The application's role: everything it needs on the other tables, only INSERT and SELECT on the audit log
-- (plus clearing client_ip for erasure), only SELECT on the chain head. Production connects as a login
-- role that is a member of headless_app (docs/security.md); migrations run as the schema owner. A
-- migrating user without CREATEROLE skips this block with a warning: the triggers above still hold.
do $$
begin
    begin
        create role headless_app nologin;
    exception when duplicate_object or unique_violation then
        null;
    end;
    grant usage on schema public to headless_app;
    grant select, insert, update, delete on all tables in schema public to headless_app;
    grant usage, select on all sequences in schema public to headless_app;
    revoke update, delete, truncate on audit_log from headless_app;
    grant update (client_ip) on audit_log to headless_app;
    revoke insert, update, delete, truncate on audit_chain_head from headless_app;
    alter default privileges in schema public grant select, insert, update, delete on tables to headless_app;
    alter default privileges in schema public grant usage, select on sequences to headless_app;
exception when insufficient_privilege then
    raise warning 'headless_app role not set up (%): grant it by hand, see docs/security.md', sqlerrm;
end $$;
