using System.Diagnostics;
using Dapper;
using Headless.Contracts.Search;
using Npgsql;

namespace Headless.Api.Features.Search;

/// <summary>Keeps `search_documents` and `search_words` (0006_search.sql) in step with the catalog.</summary>
public sealed class PostgresSearchIndex(NpgsqlDataSource db) : ISearchIndex
{
    private const int BatchSize = 2000;

    public string Name => "postgres";

    // Upsert what is indexable, delete what is not (archived, draft, gone, no price), in one statement;
    // the words of the upserted documents join the word list.
    private static readonly string UpsertSql = Upsert(withWords: true);

    // A rebuild collects the word list once at the end instead (one pass is much cheaper than per batch).
    private static readonly string RebuildBatchSql = Upsert(withWords: false);

    private static string Upsert(bool withWords) => $"""
        with source as ({SearchDocuments.SourceSql}),
        upserted as (
            insert into search_documents (product_id, slug, title, category_ids, options, tags, min_price, in_stock, created_at, document, indexed_at)
            select product_id, slug, title, category_ids, options, tags, min_price, in_stock, created_at,
                   setweight(to_tsvector('search_english', title), 'A')
                   || setweight(to_tsvector('search_english', category_names || ' ' || array_to_string(tags, ' ')), 'B')
                   || setweight(to_tsvector('search_english', description), 'C'),
                   now()
            from source
            on conflict (product_id) do update set
                slug = excluded.slug, title = excluded.title, category_ids = excluded.category_ids, options = excluded.options,
                tags = excluded.tags, min_price = excluded.min_price, in_stock = excluded.in_stock, created_at = excluded.created_at,
                document = excluded.document, indexed_at = excluded.indexed_at
            returning product_id
        ){(withWords ? """
        ,
        words as (
            insert into search_words (word, docs)
            select distinct w, 1
            from source s, regexp_split_to_table(search_fold(s.title || ' ' || s.category_names || ' ' || array_to_string(s.tags, ' ') || ' ' || s.description), '[^[:alnum:]]+') w
            where length(w) between 2 and 40
            on conflict (word) do nothing
        )
        """ : "")}
        delete from search_documents where product_id = any(@ids) and product_id not in (select product_id from upserted)
        """;

    public async Task IndexProductsAsync(IReadOnlyCollection<Guid> productIds, CancellationToken ct)
    {
        if (productIds.Count == 0)
        {
            return;
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition(UpsertSql, new { ids = productIds.ToArray() }, cancellationToken: ct));
    }

    // A stock change moves at most the in-stock flag: only documents whose flag differs from the stock now
    // are written (most checkouts leave a product in stock), and only that column. An indexable product
    // without a document (one removed by hand, say) comes back in full.
    private const string StockSql = """
        with stock as (
            select p.id, p.status = 'active' and p.min_price is not null as indexable,
                   exists (select 1 from variant_availability va where va.product_id = p.id and va.available > 0) as in_stock
            from products p where p.id = any(@ids)),
        flipped as (
            update search_documents d set in_stock = s.in_stock, indexed_at = now()
            from stock s where d.product_id = s.id and d.in_stock <> s.in_stock
            returning d.product_id)
        select s.id from stock s
        where s.indexable and not exists (select 1 from search_documents d where d.product_id = s.id)
        """;

    public async Task IndexStockAsync(IReadOnlyCollection<Guid> productIds, CancellationToken ct)
    {
        if (productIds.Count == 0)
        {
            return;
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        var missing = (await conn.QueryAsync<Guid>(new CommandDefinition(StockSql, new { ids = productIds.ToArray() }, cancellationToken: ct))).ToArray();
        if (missing.Length > 0)
        {
            await conn.ExecuteAsync(new CommandDefinition(UpsertSql, new { ids = missing }, cancellationToken: ct));
        }
    }

    public async Task<SearchReindexResult> RebuildAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await using var conn = await db.OpenConnectionAsync(ct);
        var after = Guid.Empty;
        while (true)
        {
            var ids = await SearchDocuments.NextBatchAsync(conn, after, BatchSize, ct);
            if (ids.Length == 0)
            {
                break;
            }
            await conn.ExecuteAsync(new CommandDefinition(RebuildBatchSql, new { ids }, cancellationToken: ct, commandTimeout: 300));
            after = ids[^1];
        }
        // Documents of products no longer active; the word list from every indexed product's text (docs =
        // how many titles use the word, the order of type-ahead completions) and every category name.
        await conn.ExecuteAsync(new CommandDefinition("""
            delete from search_documents d where not exists (select 1 from products p where p.id = d.product_id and p.status = 'active');
            insert into search_words (word, docs)
            select w, count(*) filter (where in_title) from (
                select distinct p.id, w, w = any(regexp_split_to_array(search_fold(p.title), '[^[:alnum:]]+')) as in_title
                from search_documents d join products p on p.id = d.product_id,
                     regexp_split_to_table(search_fold(p.title || ' ' || array_to_string(p.tags, ' ') || ' ' || p.description), '[^[:alnum:]]+') w
                where length(w) between 2 and 40) x
            group by w
            on conflict (word) do update set docs = excluded.docs;
            insert into search_words (word, docs)
            select distinct w, 0 from categories c, regexp_split_to_table(search_fold(c.name), '[^[:alnum:]]+') w
            where length(w) between 2 and 40
            on conflict (word) do nothing;
            analyze search_documents;
            analyze search_words;
            """, cancellationToken: ct, commandTimeout: 300));
        var count = await conn.ExecuteScalarAsync<long>(new CommandDefinition("select count(*) from search_documents", cancellationToken: ct));
        return new SearchReindexResult(Name, count, "search_documents", clock.Elapsed.TotalSeconds);
    }

    public async Task<bool> IsEmptyAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return !await conn.ExecuteScalarAsync<bool>(new CommandDefinition("select exists (select 1 from search_documents)", cancellationToken: ct));
    }
}
