using Dapper;
using Npgsql;

namespace Headless.Api.Features.Search;

/// <summary>
/// What a product looks like to search, read from the catalog tables: both engines index exactly this.
/// Only active products with a price become documents; anything else is removed from the index.
/// </summary>
public static class SearchDocuments
{
    /// <summary>One row per indexable product among <c>@ids</c>. Categories include every ancestor, so
    /// a subtree filter is a containment test; options are "name=value" of active variants, folded.</summary>
    public const string SourceSql = """
        with recursive ancestry (product_id, category_id) as (
            select pc.product_id, pc.category_id from product_categories pc where pc.product_id = any(@ids)
            union
            select a.product_id, c.parent_id from ancestry a join categories c on c.id = a.category_id where c.parent_id is not null
        )
        select p.id as product_id, p.slug, p.title, p.description, p.tags, p.min_price, p.created_at,
               coalesce((select array_agg(distinct a.category_id) from ancestry a where a.product_id = p.id), '{}') as category_ids,
               coalesce((select string_agg(c.name, ' ') from ancestry a join categories c on c.id = a.category_id where a.product_id = p.id), '') as category_names,
               coalesce((select array_agg(distinct search_fold(o.key || '=' || o.value))
                         from variants v cross join lateral jsonb_each_text(v.options) o
                         where v.product_id = p.id and v.status = 'active'), '{}') as options,
               coalesce((select true from variant_availability va where va.product_id = p.id and va.available > 0 limit 1), false) as in_stock
        from products p
        where p.id = any(@ids) and p.status = 'active' and p.min_price is not null
        """;

    /// <summary>Product ids in id order after <paramref name="after"/>, for rebuilding in batches.</summary>
    public static async Task<Guid[]> NextBatchAsync(NpgsqlConnection conn, Guid after, int size, CancellationToken ct) =>
        (await conn.QueryAsync<Guid>(new CommandDefinition(
            "select id from products where id > @after and status = 'active' order by id limit @size",
            new { after, size }, cancellationToken: ct))).ToArray();

    /// <summary>The products a category change touches: those linked to it or to any category below it.</summary>
    public static async Task<Guid[]> ProductsUnderCategoryAsync(NpgsqlConnection conn, Guid categoryId, CancellationToken ct) =>
        (await conn.QueryAsync<Guid>(new CommandDefinition("""
            with recursive subtree as (
                select @categoryId::uuid as id
                union all
                select c.id from categories c join subtree s on c.parent_id = s.id
            )
            select distinct pc.product_id from product_categories pc where pc.category_id in (select id from subtree)
            """, new { categoryId }, cancellationToken: ct))).ToArray();

    /// <summary>A document as an external engine indexes it.</summary>
    public sealed class Row
    {
        public Guid ProductId { get; init; }
        public string Slug { get; init; } = null!;
        public string Title { get; init; } = null!;
        public string Description { get; init; } = null!;
        public string[] Tags { get; init; } = null!;
        public long MinPrice { get; init; }
        public DateTime CreatedAt { get; init; }
        public Guid[] CategoryIds { get; init; } = null!;
        public string CategoryNames { get; init; } = null!;
        public string[] Options { get; init; } = null!;
        public bool InStock { get; init; }
    }

    public static async Task<List<Row>> LoadAsync(NpgsqlConnection conn, Guid[] ids, CancellationToken ct) =>
        (await conn.QueryAsync<Row>(new CommandDefinition(SourceSql, new { ids }, cancellationToken: ct))).AsList();
}
