-- Checkout's stock change without rewriting the product row (issue 17). Until now every stock change set
-- products.available_total (and low_stock) through product_stock_refresh: available_total is indexed and in
-- partial-index predicates, so each reservation wrote a new version of the wide product row, inserted into all
-- of its ~18 indexes (GIN trigram and jsonb among them) and ran the listing trigger.
--
-- Now the exact per-product counts live in the narrow product_stock, and products keeps only what changes
-- rarely and what its indexes need: in_stock and low_stock, written only when one of them flips. A reservation
-- that flips neither updates one small product_stock row (its primary key and the admin stock-sort index) and
-- leaves the products row untouched.
--
-- Blue/green: the previous release still reads products.available_total (listings: `> 0`; the admin list: the
-- count, its sort and filters). It is kept and written with the exact count whenever the row is written for a
-- flip, so `available_total > 0` is still exactly "in stock"; between flips the count it shows is stale. The
-- next release may drop products.available_total and the indexes products_admin_stock, products_admin_sold_out
-- and products_listed_{newest,price,title}_in_stock (docs/operations.md, upgrade notes).

create table product_stock (
    product_id      uuid primary key references products (id) on delete cascade,
    -- the sum over the product's active variants of what is left to sell (on hand - reserved, at least 0)
    available_total integer not null default 0,
    -- some active variant is at or below its low-stock threshold
    low_stock       boolean not null default false
);
-- The admin list's stock sort (keyset). It makes every count change a non-HOT update, but of a row a few
-- dozen bytes wide with two small btree entries, instead of the product row and its 18 indexes.
create index product_stock_admin_sort on product_stock (available_total, product_id);

alter table products add column in_stock boolean not null default false;

-- Backfill, while products.available_total is still exact. The old listing trigger compares available_total,
-- which this update leaves alone, so it announces nothing; low_stock is not set, so no webhook fires.
insert into product_stock (product_id, available_total, low_stock)
select id, available_total, low_stock from products;
update products set in_stock = true where available_total > 0;

-- The storefront's unfiltered in-stock listings and the admin "sold out" filter, on the flag.
create index products_listed_newest_stocked on products (created_at desc, id desc)
    where status = 'active' and min_price is not null and in_stock;
create index products_listed_price_stocked on products (min_price, id)
    where status = 'active' and min_price is not null and in_stock;
create index products_listed_title_stocked on products (title, id)
    where status = 'active' and min_price is not null and in_stock;
create index products_admin_not_stocked on products (updated_at desc, id desc) where not in_stock;

-- Every new product has its product_stock row (the admin list joins it), at zero until stock arrives. Bulk
-- loaders (headless.stock_bulk) get theirs from stock_bulk_loaded.
create function products_stock_row() returns trigger
    language plpgsql as $$
begin
    if current_setting('headless.stock_bulk', true) = 'on' then
        return null;
    end if;
    insert into product_stock (product_id) select id from added on conflict do nothing;
    return null;
end $$;
create trigger products_stock_row after insert on products
    referencing new table as added for each statement execute function products_stock_row();

-- Called by the inventory trigger (0013) on every stock change and by variant writes. The exact counts go to
-- product_stock (only when they changed); the products row is written only when in_stock or low_stock flips,
-- which is what the listing trigger (0020) and the low-stock webhook (0019) react to.
create or replace function product_stock_refresh(pid uuid) returns void
    language plpgsql as $$
declare
    total integer;
    low   boolean;
begin
    if pid is null then
        return;
    end if;
    select coalesce(sum(greatest(i.on_hand - i.reserved, 0)), 0)::integer,
           coalesce(bool_or(i.on_hand - i.reserved <= i.low_stock_threshold), false)
    into total, low
    from variants v join inventory i on i.sku = v.sku
    where v.product_id = pid and v.status = 'active';
    insert into product_stock as s (product_id, available_total, low_stock) values (pid, total, low)
    on conflict (product_id) do update set available_total = excluded.available_total, low_stock = excluded.low_stock
        where (s.available_total, s.low_stock) is distinct from (excluded.available_total, excluded.low_stock);
    -- checked first: an update of no row still runs the products statement triggers (0020's listing trigger)
    if exists (select 1 from products p where p.id = pid and (p.in_stock, p.low_stock) is distinct from (total > 0, low)) then
        update products p set in_stock = total > 0, low_stock = low, available_total = total where p.id = pid;
    end if;
end $$;

create or replace function stock_bulk_loaded(reason text, actor text) returns void
    language sql as $$
    insert into stock_movements (sku, delta, on_hand, reserved_delta, reserved, reason, actor)
    select i.sku, i.on_hand, i.on_hand, 0, i.reserved, reason, actor
    from inventory i
    where i.on_hand > 0 and not exists (select 1 from stock_movements m where m.sku = i.sku);
    insert into product_stock as ps (product_id, available_total, low_stock)
    select p.id, coalesce(s.total, 0), coalesce(s.low, false)
    from products p
    left join (select v.product_id,
                      sum(greatest(i.on_hand - i.reserved, 0))::integer as total,
                      bool_or(i.on_hand - i.reserved <= i.low_stock_threshold) as low
               from variants v join inventory i on i.sku = v.sku
               where v.status = 'active'
               group by v.product_id) s on s.product_id = p.id
    on conflict (product_id) do update set available_total = excluded.available_total, low_stock = excluded.low_stock
        where (ps.available_total, ps.low_stock) is distinct from (excluded.available_total, excluded.low_stock);
    update products p set in_stock = s.available_total > 0, low_stock = s.low_stock, available_total = s.available_total
    from product_stock s
    where p.id = s.product_id and (p.in_stock, p.low_stock, p.available_total) is distinct from (s.available_total > 0, s.low_stock, s.available_total);
    select listing_entries_rebuild();
    $$;

-- ---- readers of the flag: 0020's listing functions and 0019's webhook, same bodies on in_stock / product_stock ----

create or replace function listing_entries_rebuild() returns void
    language sql as $$
    delete from listing_entries;
    with recursive up (category_id, product_id) as (
        select pc.category_id, pc.product_id from product_categories pc
        union
        select c.parent_id, up.product_id from up join categories c on c.id = up.category_id where c.parent_id is not null
    )
    insert into listing_entries (category_id, product_id, created_at, min_price, title, in_stock)
    select up.category_id, p.id, p.created_at, p.min_price, p.title, p.in_stock
    from up join products p on p.id = up.product_id
    where p.status = 'active' and p.min_price is not null;
    $$;

create or replace function listing_entries_refresh(pids uuid[]) returns void
    language plpgsql as $$
begin
    if cardinality(pids) > 1000 then
        perform listing_entries_rebuild();
        return;
    end if;
    delete from listing_entries where product_id = any (pids);
    with recursive up (category_id, product_id) as (
        select pc.category_id, pc.product_id from product_categories pc where pc.product_id = any (pids)
        union
        select c.parent_id, up.product_id from up join categories c on c.id = up.category_id where c.parent_id is not null
    )
    insert into listing_entries (category_id, product_id, created_at, min_price, title, in_stock)
    select up.category_id, p.id, p.created_at, p.min_price, p.title, p.in_stock
    from up join products p on p.id = up.product_id
    where p.status = 'active' and p.min_price is not null;
end $$;

create or replace function listing_notify(pid uuid, what text[], scope text[]) returns void
    language sql as $$
    select pg_notify('outbox', 'listing:' || jsonb_build_object(
        'id', pid, 'what', what,
        'listed', coalesce(p.status = 'active' and p.min_price is not null, false),
        'inStock', coalesce(p.in_stock, false),
        'micros', (extract(epoch from p.created_at) * 1000000)::bigint,
        'price', p.min_price,
        'scope', scope)::text)
    from (select 1) one left join products p on p.id = pid;
    $$;

create or replace function products_listing_updated() returns trigger
    language plpgsql as $$
declare
    changes record;
    refresh uuid[] := '{}';
    notes   integer := 0;
begin
    if current_setting('headless.stock_bulk', true) = 'on' then
        return null;
    end if;
    for changes in
        select n.id, array_remove(array[
                   case when (o.status = 'active' and o.min_price is not null) <> (n.status = 'active' and n.min_price is not null)
                          or (n.status = 'active' and n.min_price is not null and o.created_at <> n.created_at) then 'membership' end,
                   case when listed and o.in_stock <> n.in_stock then 'stock' end,
                   case when listed and o.min_price <> n.min_price then 'price' end,
                   case when listed and o.title <> n.title then 'title' end,
                   case when listed and (o.slug, o.images -> 0, o.tags) is distinct from (n.slug, n.images -> 0, n.tags) then 'card' end
               ], null) as what
        from removed o join added n on n.id = o.id,
             lateral (select o.status = 'active' and o.min_price is not null and n.status = 'active' and n.min_price is not null) l(listed)
    loop
        continue when cardinality(changes.what) = 0;
        if changes.what <> array['card'] then
            refresh := refresh || changes.id;
        end if;
        notes := notes + 1;
        if notes <= listing_bulk_limit() then
            perform listing_notify(changes.id, changes.what,
                category_scope(array(select category_id from product_categories where product_id = changes.id)));
        elsif notes = listing_bulk_limit() + 1 then
            perform pg_notify('outbox', 'listing:*');
        end if;
    end loop;
    if cardinality(refresh) > 0 then
        perform listing_entries_refresh(refresh);
    end if;
    return null;
end $$;

create or replace function product_low_stock_event() returns trigger
    language plpgsql as $$
begin
    insert into outbox (topic, aggregate_type, aggregate_id, payload)
    values ('inventory.low_stock', 'product', new.id::text,
            jsonb_build_object('available', (select available_total from product_stock where product_id = new.id)));
    return null;
end $$;
