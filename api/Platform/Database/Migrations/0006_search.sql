-- Search: the denormalised search document per active product, kept by the search indexer (an outbox
-- consumer), and the word list that typo correction and type-ahead draw from.

-- Availability in ONE place: available = on_hand - reserved, per active variant. Search reads stock only
-- through this view (the indexer for ranking, the query path for the exact in-stock check). When
-- reservations move (e.g. to their own table), redefine this view and nothing else.
create view variant_availability as
select v.product_id, v.sku, greatest(i.on_hand - i.reserved, 0) as available
from variants v
join inventory i on i.sku = v.sku
where v.status = 'active';

-- English stemming with accents folded: "crème" and "creme" are one word, "candles" finds "candle".
create text search configuration search_english (copy = english);
alter text search configuration search_english
    alter mapping for hword, hword_part, word with unaccent, english_stem;

-- unaccent() is only STABLE (it reads its dictionary by search path); this wrapper names the
-- dictionary outright so it can be used in indexes.
create function search_fold(t text) returns text
    language sql immutable parallel safe strict
    return lower(public.unaccent('public.unaccent'::regdictionary, t));

create table search_documents (
    product_id     uuid primary key references products (id) on delete cascade,
    slug           text not null,
    title          text not null,
    -- the category ids of the product's categories and all their ancestors, so a subtree filter is `@>`
    category_ids   uuid[] not null,
    -- "name=value" of every active variant's options, folded (search_fold)
    options        text[] not null,
    tags           text[] not null,
    min_price      bigint not null,
    -- as of indexing; the query path re-checks the rows it returns against variant_availability
    in_stock       boolean not null,
    created_at     timestamptz not null,
    -- title (A) > categories and tags (B) > description (C)
    document       tsvector not null,
    indexed_at     timestamptz not null default now()
);
create index search_documents_document on search_documents using gin (document);
create index search_documents_categories on search_documents using gin (category_ids);
create index search_documents_options on search_documents using gin (options);
create index search_documents_tags on search_documents using gin (tags);
create index search_documents_title_trgm on search_documents using gin (search_fold(title) gin_trgm_ops);
create index search_documents_newest on search_documents (in_stock desc, created_at desc, product_id desc);
create index search_documents_price on search_documents (in_stock desc, min_price, product_id);

-- Folded words of titles, categories and tags: a query word that is not here is corrected to its
-- nearest neighbour by trigram similarity; type-ahead completes prefixes from here.
create table search_words (
    word  text primary key,
    docs  integer not null default 0
);
create index search_words_trgm on search_words using gist (word gist_trgm_ops);
create index search_words_prefix on search_words (word text_pattern_ops);
