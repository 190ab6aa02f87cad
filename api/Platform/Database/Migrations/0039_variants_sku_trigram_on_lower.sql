-- The trigram index on variants.sku (0013, for the admin inventory search's `sku ilike`) also answers `sku = x`
-- (pg_trgm 1.6 gives gin_trgm_ops the equality operator). For an equality whose value the planner cannot see
-- (a join such as the cart read's `v.sku = l.sku`, or a generic plan's parameter) GIN's cost estimate counts a
-- single trigram, so the planner sometimes took a bitmap scan of this index over the unique b-tree: on the
-- 100,000-product bench catalog that scan read ~370 pages and took 17-48 ms per cart line where the b-tree
-- reads 4 (docs/benchmarks.md, "Add to cart: the 4x regression was a plan"). Indexing lower(sku) instead keeps the search
-- (`lower(sku) ilike`, the same rows as `sku ilike`) and leaves `sku = x` to the b-tree alone.
drop index if exists variants_sku_trgm;
create index if not exists variants_sku_lower_trgm on variants using gin (lower(sku) gin_trgm_ops);
