-- Search ranks in two stages (issue 17, item 3). Ranking every match with ts_rank read (and decompressed)
-- the whole weighted document of thousands of rows for a common word. Now a first pass takes a few hundred
-- candidates from a title-only tsvector (title matches first, in stock and newest first), topped up from
-- the full document only when titles match too few, and ts_rank scores just those (PostgresSearchEngine).
--
-- Both tsvectors stay in the row (storage main: compressed inline, out of line only if the row would not
-- fit a page), so neither the match check nor the rank follows a TOAST pointer. Generated, so the indexer
-- and every other writer need not know about it. The storage is set before the rewrite that the new stored
-- column forces, so rows written by it follow it (not verified on a catalog with out-of-line documents: the
-- 100,000-product bench seed had none, its documents compress to about 1 kB in the row).
alter table search_documents alter column document set storage main;

alter table search_documents
    add column title_document tsvector generated always as (setweight(to_tsvector('search_english', title), 'A')) stored;
alter table search_documents alter column title_document set storage main;

create index search_documents_title_document on search_documents using gin (title_document);

analyze search_documents;
