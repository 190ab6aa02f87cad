-- Category listings driven by indexes, and change notifications precise enough to keep cached listing
-- pages through a sale (issue 17).
--
-- listing_entries: one row per listed product (active, priced) and per category whose public listing shows
-- it, i.e. each of its categories and every ancestor (a category's listing includes its sub-categories).
-- The sort keys and the in-stock flag are copied beside the category, so each category x sort x in-stock
-- listing is one keyset walk of one index instead of a scan of every active product probing its categories.
-- Kept by the statement triggers below in the writing transaction; never written by hand.
create table listing_entries (
    -- no foreign keys: the triggers own these rows (a product's go with its product_categories rows), and a
    -- check per row would double the cost of a rebuild
    category_id uuid not null,
    product_id  uuid not null,
    created_at  timestamptz not null,
    min_price   bigint not null,
    title       text not null,
    in_stock    boolean not null,
    primary key (category_id, product_id)
);
create index listing_entries_newest on listing_entries (category_id, created_at desc, product_id desc);
create index listing_entries_price on listing_entries (category_id, min_price, product_id);
create index listing_entries_title on listing_entries (category_id, title, product_id);
create index listing_entries_newest_in_stock on listing_entries (category_id, created_at desc, product_id desc) where in_stock;
create index listing_entries_price_in_stock on listing_entries (category_id, min_price, product_id) where in_stock;
create index listing_entries_title_in_stock on listing_entries (category_id, title, product_id) where in_stock;
create index listing_entries_product on listing_entries (product_id);

-- The unfiltered in-stock listings (the storefront's default view) walk these instead of skipping sold-out rows.
create index products_listed_newest_in_stock on products (created_at desc, id desc)
    where status = 'active' and min_price is not null and available_total > 0;
create index products_listed_price_in_stock on products (min_price, id)
    where status = 'active' and min_price is not null and available_total > 0;
create index products_listed_title_in_stock on products (title, id)
    where status = 'active' and min_price is not null and available_total > 0;

create function listing_entries_rebuild() returns void
    language sql as $$
    delete from listing_entries;
    with recursive up (category_id, product_id) as (
        select pc.category_id, pc.product_id from product_categories pc
        union
        select c.parent_id, up.product_id from up join categories c on c.id = up.category_id where c.parent_id is not null
    )
    insert into listing_entries (category_id, product_id, created_at, min_price, title, in_stock)
    select up.category_id, p.id, p.created_at, p.min_price, p.title, p.available_total > 0
    from up join products p on p.id = up.product_id
    where p.status = 'active' and p.min_price is not null;
    $$;

-- A bulk statement (more than a thousand products) rebuilds instead: `= any` over a huge array is not hashed.
create function listing_entries_refresh(pids uuid[]) returns void
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
    select up.category_id, p.id, p.created_at, p.min_price, p.title, p.available_total > 0
    from up join products p on p.id = up.product_id
    where p.status = 'active' and p.min_price is not null;
end $$;

-- The slugs of these categories and all their ancestors: the category filters whose listings can show a
-- product in them. Sent with each listing notification so the cache decides without a query.
create function category_scope(cids uuid[]) returns text[]
    language sql stable as $$
    with recursive up (id, parent_id, slug) as (
        select id, parent_id, slug from categories where id = any (cids)
        union
        select c.id, c.parent_id, c.slug from categories c join up on c.id = up.parent_id
    )
    select coalesce(array_agg(slug order by slug), '{}') from up;
    $$;

-- Listing notifications share the `outbox` channel (one LISTEN connection per instance already hears it):
-- `listing:{json}` with the product id, what changed for listings (membership, stock = a flip between in
-- stock and sold out, price, title, card = slug/first image/tags), whether it is listed now, its in-stock
-- flag, sort keys and category scope. `listing:*` (a bulk statement) means "drop every listing page". A stock change that does
-- not flip the product sends nothing here: no listing page can show it.
create function listing_notify(pid uuid, what text[], scope text[]) returns void
    language sql as $$
    select pg_notify('outbox', 'listing:' || jsonb_build_object(
        'id', pid, 'what', what,
        'listed', coalesce(p.status = 'active' and p.min_price is not null, false),
        'inStock', coalesce(p.available_total > 0, false),
        'micros', (extract(epoch from p.created_at) * 1000000)::bigint,
        'price', p.min_price,
        'scope', scope)::text)
    from (select 1) one left join products p on p.id = pid;
    $$;

-- More rows than this in one statement (a bulk load) is announced as one "drop every listing".
create function listing_bulk_limit() returns integer language sql immutable as 'select 1000';

create function products_listing_inserted() returns trigger
    language plpgsql as $$
begin
    if current_setting('headless.stock_bulk', true) = 'on' then
        return null;
    end if;
    perform listing_entries_refresh(array(select id from added where status = 'active' and min_price is not null));
    if (select count(*) from added) > listing_bulk_limit() then
        perform pg_notify('outbox', 'listing:*');
    else
        perform listing_notify(a.id, array['membership'], category_scope(array(select category_id from product_categories where product_id = a.id)))
        from added a where a.status = 'active' and a.min_price is not null;
    end if;
    return null;
end $$;

create function products_listing_updated() returns trigger
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
                   case when listed and (o.available_total > 0) <> (n.available_total > 0) then 'stock' end,
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

create function product_categories_listing_changed() returns trigger
    language plpgsql as $$
declare
    moved uuid[] := array(select distinct product_id from changed_rows);
begin
    if cardinality(moved) = 0 or current_setting('headless.stock_bulk', true) = 'on' then
        return null;
    end if;
    perform listing_entries_refresh(moved);
    if cardinality(moved) > listing_bulk_limit() then
        perform pg_notify('outbox', 'listing:*');
    else
        -- the categories added or removed (old or new, whichever this statement changed), with their ancestors
        perform listing_notify(m.product_id, array['membership'], category_scope(m.categories))
        from (select product_id, array_agg(category_id) as categories from changed_rows group by product_id) m;
    end if;
    return null;
end $$;

create function product_categories_listing_updated() returns trigger
    language plpgsql as $$
declare
    moved uuid[] := array(select product_id from removed union select product_id from added);
begin
    if cardinality(moved) = 0 or current_setting('headless.stock_bulk', true) = 'on' then
        return null;
    end if;
    perform listing_entries_refresh(moved);
    if cardinality(moved) > listing_bulk_limit() then
        perform pg_notify('outbox', 'listing:*');
    else
        perform listing_notify(m.product_id, array['membership'], category_scope(m.categories))
        from (select product_id, array_agg(category_id) as categories
              from (select product_id, category_id from removed union select product_id, category_id from added) r
              group by product_id) m;
    end if;
    return null;
end $$;

create trigger products_listing_inserted after insert on products
    referencing new table as added for each statement execute function products_listing_inserted();
create trigger products_listing_updated after update on products
    referencing old table as removed new table as added for each statement execute function products_listing_updated();
create trigger product_categories_listing_added after insert on product_categories
    referencing new table as changed_rows for each statement execute function product_categories_listing_changed();
create trigger product_categories_listing_removed after delete on product_categories
    referencing old table as changed_rows for each statement execute function product_categories_listing_changed();
create trigger product_categories_listing_updated after update on product_categories
    referencing old table as removed new table as added for each statement execute function product_categories_listing_updated();

-- A category moved under another parent changes which listings show its products (rare: rebuild).
create function categories_listing_moved() returns trigger
    language plpgsql as $$
begin
    if exists (select 1 from removed o join added n on n.id = o.id where o.parent_id is distinct from n.parent_id) then
        perform listing_entries_rebuild();
    end if;
    return null;
end $$;
create trigger categories_listing_moved after update on categories
    referencing old table as removed new table as added for each statement execute function categories_listing_moved();

-- Bulk loaders set headless.stock_bulk for their transaction, so the triggers above skip their work, and end with
-- stock_bulk_loaded: same body as in 0013, then one set-based rebuild (they announce catalog.loaded, which drops
-- every cached page).
create or replace function stock_bulk_loaded(reason text, actor text) returns void
    language sql as $$
    insert into stock_movements (sku, delta, on_hand, reserved_delta, reserved, reason, actor)
    select i.sku, i.on_hand, i.on_hand, 0, i.reserved, reason, actor
    from inventory i
    where i.on_hand > 0 and not exists (select 1 from stock_movements m where m.sku = i.sku);
    update products p set available_total = s.total, low_stock = s.low
    from (select v.product_id,
                 sum(greatest(i.on_hand - i.reserved, 0))::integer as total,
                 bool_or(i.on_hand - i.reserved <= i.low_stock_threshold) as low
          from variants v join inventory i on i.sku = v.sku
          where v.status = 'active'
          group by v.product_id) s
    where p.id = s.product_id and (p.available_total, p.low_stock) is distinct from (s.total, s.low);
    select listing_entries_rebuild();
    $$;

select listing_entries_rebuild();
