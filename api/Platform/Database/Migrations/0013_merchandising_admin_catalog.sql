-- Merchandising fields, the admin product list's sort keys and indexes, per-SKU low-stock thresholds and a
-- stock ledger that every stock change writes.

-- ---- merchandising ------------------------------------------------------------------------------------
alter table products
    add column seo_title       text,
    add column seo_description text,
    add column vendor          text not null default '',
    add column product_type    text not null default '',
    -- the ordered option names (Size, Colour); every key of a variant's options is one of them
    add column option_names    text[] not null default '{}';

-- The "was" price shown struck through; a compare-at price at or below the price would advertise no saving.
alter table variants
    add column compare_at_minor bigint check (compare_at_minor is null or compare_at_minor > price_amount);

-- ---- stock: thresholds, per-product totals, ledger ----------------------------------------------------
alter table inventory add column low_stock_threshold integer not null default 5 check (low_stock_threshold >= 0);

-- Kept by the inventory trigger below (and by variant writes through product_stock_refresh), never by hand:
-- the admin list sorts and filters 100,000 products by stock, which a per-row sum cannot do fast.
-- Changing them does not bump the product's version or updated_at: they are derived, not edited.
alter table products
    add column available_total integer not null default 0,
    add column low_stock       boolean not null default false;

create function product_stock_refresh(pid uuid) returns void
    language sql as $$
    update products p set available_total = s.total, low_stock = s.low
    from (select coalesce(sum(greatest(i.on_hand - i.reserved, 0)), 0)::integer as total,
                 coalesce(bool_or(i.on_hand - i.reserved <= i.low_stock_threshold), false) as low
          from variants v join inventory i on i.sku = v.sku
          where v.product_id = pid and v.status = 'active') s
    where p.id = pid and (p.available_total, p.low_stock) is distinct from (s.total, s.low);
    $$;

-- The ledger: one row per change of on hand or reserved, whatever code path made it, in the same
-- transaction. The writer names the reason and actor with StockLedger.NoteAsync (transaction-local
-- settings) before it changes stock; a change without a note still gets a row with a generic reason.
alter table stock_movements
    add column reserved_delta integer not null default 0,
    add column reserved       integer;

-- Bulk loaders (the demo catalog's COPY) set headless.stock_bulk to 'on' for their transaction, skip the
-- per-row work and call stock_bulk_loaded() once at the end instead.
create function inventory_changed() returns trigger
    language plpgsql as $$
declare
    on_hand_delta  integer := new.on_hand - coalesce(old.on_hand, 0);
    reserved_delta integer := new.reserved - coalesce(old.reserved, 0);
begin
    if current_setting('headless.stock_bulk', true) = 'on' then
        return null;
    end if;
    if on_hand_delta <> 0 or reserved_delta <> 0 then
        insert into stock_movements (sku, delta, on_hand, reserved_delta, reserved, reason, actor)
        values (new.sku, on_hand_delta, new.on_hand, reserved_delta, new.reserved,
                coalesce(nullif(current_setting('headless.stock_reason', true), ''),
                         case when tg_op = 'INSERT' then 'initial stock'
                              when on_hand_delta = 0 and reserved_delta > 0 then 'reserved'
                              when on_hand_delta = 0 then 'reservation released'
                              else 'stock changed' end),
                coalesce(nullif(current_setting('headless.stock_actor', true), ''), 'system'));
    end if;
    if tg_op = 'INSERT' or on_hand_delta <> 0 or reserved_delta <> 0
       or new.low_stock_threshold <> old.low_stock_threshold then
        perform product_stock_refresh((select product_id from variants where sku = new.sku));
    end if;
    return null;
end $$;

create trigger inventory_changed after insert or update on inventory
    for each row execute function inventory_changed();

create function stock_bulk_loaded(reason text, actor text) returns void
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
    $$;

-- existing products get their totals (existing stock already has its ledger rows)
select stock_bulk_loaded('initial stock', 'system:migration');

-- ---- admin product list: every status, keyset on each sort ----------------------------------------------
create index products_admin_updated on products (updated_at desc, id desc);
create index products_admin_title on products (title, id);
-- products without an active variant have no price; they sort as -1 (first ascending)
create index products_admin_price on products ((coalesce(min_price, -1)), id);
create index products_admin_stock on products (available_total, id);
-- the rare filters, so "sold out" or "low" does not walk the whole catalog
create index products_admin_sold_out on products (updated_at desc, id desc) where available_total = 0;
create index products_admin_low on products (updated_at desc, id desc) where low_stock;
create index products_admin_status on products (status, updated_at desc, id desc);
-- search by title, slug or SKU fragment (ILIKE '%q%' through trigrams)
create index products_title_trgm on products using gin (title gin_trgm_ops);
create index products_slug_trgm on products using gin (slug gin_trgm_ops);
create index variants_sku_trgm on variants using gin (sku gin_trgm_ops);

-- ---- admin inventory list -------------------------------------------------------------------------------
create index inventory_low on inventory (sku) where on_hand - reserved <= low_stock_threshold;

-- ---- backfill: the option names of existing products, from their variants' option keys -------------------
update products p set option_names = k.names
from (select v.product_id, array_agg(distinct o.key order by o.key) as names
      from variants v, jsonb_object_keys(v.options) as o(key)
      group by v.product_id) k
where p.id = k.product_id;
