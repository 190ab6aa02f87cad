using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Headless.Api.Features.Catalog.Products;
using Headless.Contracts.Search;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Features.Search;

/// <summary>
/// Search on PostgreSQL over `search_documents` (0006_search.sql): weighted full text (title A,
/// categories and tags B, description C) with English stemming and accents folded, typo correction of
/// unknown words against `search_words` by trigram distance, filters, facets and the page of candidates
/// and the page of candidates in one statement; the counts (total and facets) in another, which
/// <see cref="SearchCountCache"/> runs once per search every few seconds. Relevance is ranked in two stages
/// (0023): a first pass on the title-only vector picks a bounded pool, and ts_rank reads the weighted document
/// of those rows only. The total counts at most <see cref="SearchOptions.TotalCap"/> matches (then it is a lower
/// bound) and facets count a bounded sample (exact when the result fits in it): counting every match of a
/// common word was what capped throughput at 32 in flight.
/// </summary>
public sealed class PostgresSearchEngine(NpgsqlDataSource db, IOptions<SearchOptions> options) : ISearchEngine
{
    public string Name => "postgres";

    /// <summary>Each query word is folded (lowercase, no accents); a word of 3+ letters that no document
    /// contains is replaced by the nearest known word, if it is close enough (trigram similarity ≥ 0.3).</summary>
    private const string WordsSql = """
        words as (
            select i.ord, i.w as original,
                   case when length(i.w) < 3 or numnode(plainto_tsquery('search_english', i.w)) = 0
                             or exists (select 1 from search_words sw where sw.word = i.w)
                        then i.w
                        else coalesce((select n.word from (select sw.word, sw.word <-> i.w as distance from search_words sw
                                                          order by sw.word <-> i.w limit 1) n
                                       where n.distance <= 0.7), i.w)
                   end as word
            from (select t.ord, search_fold(t.w) as w from unnest(@words::text[]) with ordinality as t(w, ord)) i
        ),
        q as (
            select plainto_tsquery('search_english', string_agg(word, ' ' order by ord)) as query,
                   array_agg(word order by ord) as words, bool_or(word <> original) as corrected
            from words
        )
        """;

    /// <summary>The parameters and conditions of the query's words and filters: <c>Filters</c> without the
    /// words (the first pass matches them on the title vector instead), <c>Matching</c> with them.</summary>
    private static (DynamicParameters Args, string Filters, string Matching) Conditions(SearchQuery query)
    {
        var args = new DynamicParameters();
        // The filters other than the words: the first pass matches the words on the title vector instead.
        var where = new StringBuilder("true");
        if (query.HasWords)
        {
            args.Add("words", query.Words.ToArray());
        }
        if (query.CategorySlug is not null)
        {
            args.Add("category", query.CategorySlug);
            where.Append(" and d.category_ids @> array[(select id from categories where slug = @category)]");
        }
        if (query.MinPrice is not null)
        {
            args.Add("minPrice", query.MinPrice);
            where.Append(" and d.min_price >= @minPrice");
        }
        if (query.MaxPrice is not null)
        {
            args.Add("maxPrice", query.MaxPrice);
            where.Append(" and d.min_price <= @maxPrice");
        }
        var n = 0;
        foreach (var (name, values) in query.Options)
        {
            // Values of one option are alternatives (size m OR l); different options must all match.
            args.Add($"option{n}", values.Select(v => $"{name}={v}").ToArray());
            where.Append(CultureInfo.InvariantCulture, $" and d.options && array(select search_fold(x) from unnest(@option{n}::text[]) x)");
            n++;
        }
        if (query.Tags.Count > 0)
        {
            args.Add("tags", query.Tags.ToArray());
            where.Append(" and d.tags @> @tags::text[]");
        }
        if (query.InStockOnly)
        {
            // The index's view of stock narrows the candidates; SearchService re-checks them live.
            where.Append(" and d.in_stock");
        }
        var filters = where.ToString();
        return (args, filters, query.HasWords ? "d.document @@ q.query and " + filters : filters);
    }

    public async Task<EngineResult> SearchAsync(SearchQuery query, int take, CancellationToken ct)
    {
        var (args, filters, matching) = Conditions(query);
        var (key, order, after) = query.Sort switch
        {
            "relevance" => ("score::text", "score desc, product_id",
                "(score < @afterScore or (score = @afterScore and product_id > @afterId))"),
            "price_asc" => ("min_price::text", "in_stock desc, min_price, product_id",
                "(in_stock < @afterStock or (in_stock = @afterStock and (min_price, product_id) > (@afterLong, @afterId)))"),
            "price_desc" => ("min_price::text", "in_stock desc, min_price desc, product_id desc",
                "(in_stock, min_price, product_id) < (@afterStock, @afterLong, @afterId)"),
            _ => ("(extract(epoch from created_at) * 1000000)::bigint::text", "in_stock desc, created_at desc, product_id desc",
                "(in_stock, created_at, product_id) < (@afterStock, @afterTime, @afterId)"),
        };
        if (query.After is { } cursor)
        {
            args.Add("afterId", cursor.Id);
            args.Add("afterStock", cursor.InStock);
            switch (query.Sort)
            {
                case "relevance":
                    args.Add("afterScore", cursor.Score);
                    break;
                case "newest":
                    args.Add("afterTime", ProductCursor.FromMicros(cursor.LongKey));
                    break;
                default:
                    args.Add("afterLong", cursor.LongKey);
                    break;
            }
        }
        args.Add("take", take);
        args.Add("soldOut", SearchQuery.SoldOutFactor);

        args.Add("pool", options.Value.RankPool);

        // `matches` is never materialised: a browse walks a sort index,
        // a sorted search takes its top rows by the narrow sort keys. Only a relevance search ranks, and only the
        // candidates of the first pass (two stages, migration 0023): the newest in-stock title matches, topped up
        // when titles match fewer than `pool` with the first whole-document matches the index yields (unordered:
        // a top-up must not sort every match of a common word); then ts_rank on those rows alone.
        var ranked = query.HasWords && query.Sort == "relevance";
        var sql = new StringBuilder("with ");
        if (query.HasWords)
        {
            sql.Append(WordsSql).Append(',');
        }
        sql.Append(CultureInfo.InvariantCulture, $"""
             matches as not materialized (
                select d.product_id, d.in_stock, d.min_price, d.created_at
                from search_documents d{(query.HasWords ? ", q" : "")}
                where {matching}
            )
            """);
        if (ranked)
        {
            sql.Append(CultureInfo.InvariantCulture, $"""
                ,
                title_pool as materialized (
                    select d.ctid as tid from search_documents d, q
                    where d.title_document @@ q.query and {filters}
                    order by d.in_stock desc, d.created_at desc, d.product_id desc limit @pool
                ),
                body_pool as materialized (
                    select d.ctid as tid from search_documents d, q
                    where (select count(*) from title_pool) < @pool and not (d.title_document @@ q.query) and {matching}
                    limit @pool
                ),
                scored as materialized (
                    select d.product_id, d.in_stock, (ts_rank(d.document, q.query) * case when d.in_stock then 1 else @soldOut end)::float8 as score
                    from search_documents d, q
                    -- by row address: one page read per candidate instead of a primary-key descent
                    where d.ctid = any (array(select tid from title_pool union all select tid from body_pool))
                )
                """);
        }
        sql.Append(CultureInfo.InvariantCulture, $"""

            select {(query.HasWords ? "(select words from q)" : "'{}'::text[]")} as words,
                   {(query.HasWords ? "(select coalesce(corrected, false) from q)" : "false")} as corrected,
                   {(query.CategorySlug is null ? "true" : "exists (select 1 from categories where slug = @category)")} as category_found,
                   (select coalesce(jsonb_agg(jsonb_build_array(product_id, in_stock, key)), '[]')::text
                    from (select product_id, in_stock, {key} as key from {(ranked ? "scored" : "matches")}
                          {(query.After is null ? "" : "where " + after)}
                          order by {order} limit @take) page) as page
            """);
        await using var conn = await db.OpenConnectionAsync(ct);
        var row = await conn.QuerySingleAsync<ResultRow>(new CommandDefinition(sql.ToString(), args, cancellationToken: ct));
        if (!row.CategoryFound)
        {
            throw new UnknownCategoryException(query.CategorySlug!);
        }
        var candidates = new List<Candidate>(take);
        using (var page = JsonDocument.Parse(row.Page))
        {
            foreach (var item in page.RootElement.EnumerateArray())
            {
                candidates.Add(new Candidate(item[0].GetGuid(), item[1].GetBoolean(), item[2].GetString()!));
            }
        }
        return new EngineResult(candidates, row.Words, row.Corrected);
    }

    public async Task<EngineCounts> CountAsync(SearchQuery query, CancellationToken ct)
    {
        var (args, _, matching) = Conditions(query);
        var cap = options.Value.TotalCap;
        var sample = options.Value.FacetSample;
        // One bounded scan: cap + 1 rows tell "more than the cap" apart from "exactly the cap"; with facets the
        // rows read are wide enough to count them, and the facets use the first `sample` of them.
        args.Add("countRows", query.Facets ? Math.Max(cap + 1, sample) : cap + 1);
        args.Add("sample", sample);
        var sql = new StringBuilder("with ");
        if (query.HasWords)
        {
            sql.Append(WordsSql).Append(',');
        }
        sql.Append(CultureInfo.InvariantCulture, $"""
             counted as materialized (
                select {(query.Facets ? "d.category_ids, d.options, d.min_price, d.in_stock" : "1")}
                from search_documents d{(query.HasWords ? ", q" : "")}
                where {matching}
                limit @countRows
            )
            """);
        if (query.Facets)
        {
            sql.Append("""
                ,
                sample as materialized (select * from counted limit @sample)
                """);
        }
        sql.Append(CultureInfo.InvariantCulture, $"""

            select (select count(*) from counted) as counted,
                   {(query.CategorySlug is null ? "true" : "exists (select 1 from categories where slug = @category)")} as category_found
            """);
        if (query.Facets)
        {
            var bands = string.Join(", ", PriceBands.All.Select(b =>
                $"count(*) filter (where {(b.From is { } f ? $"min_price >= {f}" : "true")} and {(b.To is { } t ? $"min_price < {t}" : "true")})"));
            sql.Append(CultureInfo.InvariantCulture, $"""
                ,
                       (select count(*) from sample) as sampled,
                       (select coalesce(jsonb_agg(jsonb_build_array(c.slug, c.name, parent.slug, x.n) order by x.n desc, c.slug), '[]')::text
                        from (select unnest(category_ids) as id, count(*) as n from sample group by 1) x
                        join categories c on c.id = x.id left join categories parent on parent.id = c.parent_id) as category_facet,
                       (select coalesce(jsonb_agg(jsonb_build_array(x.o, x.n) order by x.o), '[]')::text
                        from (select unnest(options) as o, count(*) as n from sample group by 1) x) as option_facet,
                       (select jsonb_build_array({bands})::text from sample) as price_facet,
                       (select jsonb_build_array(count(*) filter (where in_stock), count(*) filter (where not in_stock))::text from sample) as availability_facet
                """);
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        var row = await conn.QuerySingleAsync<CountRow>(new CommandDefinition(sql.ToString(), args, cancellationToken: ct));
        if (!row.CategoryFound)
        {
            throw new UnknownCategoryException(query.CategorySlug!);
        }
        var lowerBound = row.Counted > cap;
        var total = Math.Min(row.Counted, cap);
        return new EngineCounts(total, lowerBound, query.Facets ? ReadFacets(row, total, lowerBound) : null);
    }

    /// <summary>Exact when the sample holds the whole result. Otherwise estimated: scaled to an exact total, or, when
    /// the total is itself a lower bound, the sample's own counts (each a lower bound: scaling to a capped total
    /// would only pretend to know more).</summary>
    private static SearchFacets ReadFacets(CountRow row, long total, bool totalIsLowerBound)
    {
        var estimated = totalIsLowerBound || row.Sampled < total;
        long Scale(long n) => estimated && !totalIsLowerBound && row.Sampled > 0 ? (long)Math.Round((double)n * total / row.Sampled) : n;
        using var categories = JsonDocument.Parse(row.CategoryFacet!);
        using var options = JsonDocument.Parse(row.OptionFacet!);
        using var prices = JsonDocument.Parse(row.PriceFacet!);
        using var availability = JsonDocument.Parse(row.AvailabilityFacet!);
        return new SearchFacets(
            categories.RootElement.EnumerateArray().Select(c => new CategoryFacet(
                c[0].GetString()!, c[1].GetString()!, c[2].ValueKind == JsonValueKind.Null ? null : c[2].GetString(), Scale(c[3].GetInt64()))).ToList(),
            PriceBands.All.Select((b, i) => new PriceBandFacet(b.Key, b.From, b.To, Scale(prices.RootElement[i].GetInt64()))).ToList(),
            options.RootElement.EnumerateArray().Select(o =>
            {
                var text = o[0].GetString()!;
                var eq = text.IndexOf('=', StringComparison.Ordinal);
                return new OptionFacet(text[..eq], text[(eq + 1)..], Scale(o[1].GetInt64()));
            }).ToList(),
            new AvailabilityFacet(Scale(availability.RootElement[0].GetInt64()), Scale(availability.RootElement[1].GetInt64())))
        { Estimated = estimated };
    }

    public async Task<EngineSuggestions> SuggestAsync(IReadOnlyList<string> words, int limit, CancellationToken ct)
    {
        // The last word is a prefix: complete it from the word list (most common first), find titles
        // that contain all the words with the last one as a prefix, and categories whose name has a
        // word starting with it.
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var grid = await conn.QueryMultipleAsync(new CommandDefinition("""
            with input as (select array_agg(search_fold(w) order by ord) as ws from unnest(@words::text[]) with ordinality as t(w, ord)),
            prefix as (select ws[cardinality(ws)] as last, array_to_string(ws[1:cardinality(ws) - 1], ' ') as head,
                              to_tsquery('search_english', array_to_string(
                                  array(select quote_literal(x) from unnest(ws[1:cardinality(ws) - 1]) x)
                                  || (quote_literal(ws[cardinality(ws)]) || ':*'), ' & ')) as query
                       from input)
            select trim(p.head || ' ' || sw.word) from prefix p, search_words sw
            where sw.word like p.last || '%' order by sw.docs desc, length(sw.word), sw.word limit @limit;

            with input as (select array_agg(search_fold(w) order by ord) as ws from unnest(@words::text[]) with ordinality as t(w, ord)),
            prefix as (select to_tsquery('search_english', array_to_string(
                                  array(select quote_literal(x) from unnest(ws[1:cardinality(ws) - 1]) x)
                                  || (quote_literal(ws[cardinality(ws)]) || ':*'), ' & ')) as query
                       from input)
            select d.product_id as id, d.slug, d.title,
                   coalesce((select true from variant_availability va where va.product_id = d.product_id and va.available > 0 limit 1), false) as in_stock
            from search_documents d, prefix p
            where d.document @@ p.query and search_fold(d.title) like '%' || (select ws[cardinality(ws)] from input) || '%'
            order by d.in_stock desc, d.created_at desc, d.product_id desc limit @limit;

            with input as (select search_fold(w) as last from unnest(@words::text[]) with ordinality as t(w, ord) order by ord desc limit 1)
            select c.slug, c.name from categories c, input i
            where search_fold(c.name) like i.last || '%' or search_fold(c.name) like '% ' || i.last || '%'
            order by c.parent_id is not null, c.position, c.slug limit @limit;
            """, new { words = words.ToArray(), limit }, cancellationToken: ct));
        var queries = (await grid.ReadAsync<string>()).ToList();
        var products = (await grid.ReadAsync<ProductSuggestion>()).ToList();
        var categories = (await grid.ReadAsync<CategorySuggestion>()).ToList();
        return new EngineSuggestions(queries, products, categories);
    }

    // A class, not a positional record: Dapper maps text[] columns to properties but not to constructor parameters.
    private sealed class ResultRow
    {
        public string[] Words { get; init; } = [];
        public bool Corrected { get; init; }
        public bool CategoryFound { get; init; }
        public string Page { get; init; } = "[]";
    }

    private sealed class CountRow
    {
        public long Counted { get; init; }
        public bool CategoryFound { get; init; }
        public long Sampled { get; init; }
        public string? CategoryFacet { get; init; }
        public string? OptionFacet { get; init; }
        public string? PriceFacet { get; init; }
        public string? AvailabilityFacet { get; init; }
    }
}

/// <summary>A category filter named a slug no category has (a 400, not an empty result).</summary>
public sealed class UnknownCategoryException(string slug) : Exception($"No category has the slug '{slug}'.")
{
    public string Slug { get; } = slug;
}
