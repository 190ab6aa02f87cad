-- One stored search text per product for the admin list's `q`: title, slug, vendor and every variant's SKU,
-- lower-cased, under a single trigram index. Searching three trigram indexes on two tables (0013) had to
-- collect every match before the page could be picked: a fragment common to many titles cost ~0.5 s at
-- 100,000 products. One column on products gives the planner statistics for the pattern, so a common
-- fragment walks the sort's own index and stops after a page, and a rare one takes the trigram index.
--
-- Triggers keep it in the writing transaction, whatever code path writes: a renamed SKU is found by its new
-- value at once. Variant triggers are per statement, so a bulk COPY refreshes each product once.

alter table products add column search_text text not null default '';
-- A finer histogram: the planner estimates `like '%fragment%'` by trying the pattern on the histogram's
-- entries; with 100 of them a fragment matching 0.1 % reads as 1 % and walks the sort index for 20,000 rows.
alter table products alter column search_text set statistics 1000;

create function product_search_text(title text, slug text, vendor text, skus text) returns text
    language sql immutable parallel safe as $$
    select lower(concat_ws(' ', title, slug, nullif(vendor, ''), skus));
    $$;

create function product_search_skus(pid uuid) returns text
    language sql stable as $$
    select string_agg(sku, ' ' order by sku) from variants where product_id = pid;
    $$;

create function products_search_text() returns trigger
    language plpgsql as $$
begin
    new.search_text := product_search_text(new.title, new.slug, new.vendor, product_search_skus(new.id));
    return new;
end $$;

create trigger products_search_text before insert or update of title, slug, vendor on products
    for each row execute function products_search_text();

-- The products whose SKU list a variant statement changed (a variant moved between products changes two).
create function variants_search_text() returns trigger
    language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        update products p set search_text = product_search_text(p.title, p.slug, p.vendor, product_search_skus(p.id))
        where p.id in (select product_id from new_rows);
    elsif tg_op = 'DELETE' then
        update products p set search_text = product_search_text(p.title, p.slug, p.vendor, product_search_skus(p.id))
        where p.id in (select product_id from old_rows);
    else
        update products p set search_text = product_search_text(p.title, p.slug, p.vendor, product_search_skus(p.id))
        where p.id in (select n.product_id from new_rows n join old_rows o on o.id = n.id
                       where (n.sku, n.product_id) is distinct from (o.sku, o.product_id)
                       union
                       select o.product_id from new_rows n join old_rows o on o.id = n.id
                       where n.product_id <> o.product_id);
    end if;
    return null;
end $$;

create trigger variants_search_text_insert after insert on variants
    referencing new table as new_rows for each statement execute function variants_search_text();
create trigger variants_search_text_update after update on variants
    referencing old table as old_rows new table as new_rows for each statement execute function variants_search_text();
create trigger variants_search_text_delete after delete on variants
    referencing old table as old_rows for each statement execute function variants_search_text();

update products p set search_text = product_search_text(p.title, p.slug, p.vendor, product_search_skus(p.id));

create index products_search_trgm on products using gin (search_text gin_trgm_ops);
