using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Headless.Api.Features.Demo;

public sealed record DemoLoadResult(bool Loaded, int Categories, int Products, int Variants, TimeSpan Elapsed);

/// <summary>
/// Loads a <see cref="DemoCatalog"/> into empty catalog tables with binary COPY, in one transaction that
/// also appends a `catalog.loaded` outbox event and audit row. Does nothing when the catalog already has rows.
/// </summary>
public static class DemoCatalogLoader
{
    // The set-based pass over 100,000 products (stock ledger, stock totals, listing entries) outlasts the
    // default 30 s command timeout on a busy 2-core machine.
    private const int BulkPassSeconds = 600;

    private const int ProgressEvery = 50_000;

    public static async Task<DemoLoadResult> LoadAsync(
        NpgsqlDataSource db, DemoCatalog catalog, IProgress<string>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);

        await conn.ExecuteAsync(new CommandDefinition(
            "lock table categories, products, product_categories, variants, inventory in share row exclusive mode",
            transaction: tx, cancellationToken: ct));
        var hasRows = await conn.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from products) or exists (select 1 from categories)",
            transaction: tx, cancellationToken: ct));
        if (hasRows)
        {
            progress?.Report("skipped: the catalog already has products or categories");
            return new DemoLoadResult(false, 0, 0, 0, clock.Elapsed);
        }

        // One set-based pass at the end (stock_bulk_loaded: the stock ledger, the products' stock totals, the
        // listing entries) instead of a trigger per row or per statement.
        await conn.ExecuteAsync(new CommandDefinition("select set_config('headless.stock_bulk', 'on', true)", transaction: tx, cancellationToken: ct));
        await CopyAsync(conn, "categories", catalog.Categories,
            "copy categories (id, parent_id, slug, name, description, position, created_at, updated_at) from stdin (format binary)",
            async (row, c, token) =>
            {
                await row.WriteAsync(c.Id, NpgsqlDbType.Uuid, token);
                if (c.ParentId is { } parentId)
                {
                    await row.WriteAsync(parentId, NpgsqlDbType.Uuid, token);
                }
                else
                {
                    await row.WriteNullAsync(token);
                }
                await row.WriteAsync(c.Slug, NpgsqlDbType.Text, token);
                await row.WriteAsync(c.Name, NpgsqlDbType.Text, token);
                await row.WriteAsync(c.Description, NpgsqlDbType.Text, token);
                await row.WriteAsync(c.Position, NpgsqlDbType.Integer, token);
                await row.WriteAsync(c.CreatedAt, NpgsqlDbType.TimestampTz, token);
                await row.WriteAsync(c.CreatedAt, NpgsqlDbType.TimestampTz, token);
            }, progress, ct);

        var json = new JsonText();
        await CopyAsync(conn, "products", catalog.Products,
            "copy products (id, slug, title, description, status, images, tags, featured, min_price, created_at, updated_at) from stdin (format binary)",
            async (row, p, token) =>
            {
                await row.WriteAsync(p.Id, NpgsqlDbType.Uuid, token);
                await row.WriteAsync(p.Slug, NpgsqlDbType.Text, token);
                await row.WriteAsync(p.Title, NpgsqlDbType.Text, token);
                await row.WriteAsync(p.Description, NpgsqlDbType.Text, token);
                await row.WriteAsync(p.Status, NpgsqlDbType.Text, token);
                await row.WriteAsync(json.Images(p.Images), NpgsqlDbType.Jsonb, token);
                await row.WriteAsync(p.Tags.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, token);
                await row.WriteAsync(p.Featured, NpgsqlDbType.Boolean, token);
                await row.WriteAsync(p.MinPrice, NpgsqlDbType.Bigint, token);
                await row.WriteAsync(p.CreatedAt, NpgsqlDbType.TimestampTz, token);
                await row.WriteAsync(p.CreatedAt, NpgsqlDbType.TimestampTz, token);
            }, progress, ct);

        await CopyAsync(conn, "product_categories", catalog.ProductCategories,
            "copy product_categories (product_id, category_id) from stdin (format binary)",
            async (row, link, token) =>
            {
                await row.WriteAsync(link.ProductId, NpgsqlDbType.Uuid, token);
                await row.WriteAsync(link.CategoryId, NpgsqlDbType.Uuid, token);
            }, progress, ct);

        await CopyAsync(conn, "variants", catalog.Variants,
            "copy variants (id, product_id, sku, title, options, price_amount, currency, weight_grams, position, created_at, updated_at) from stdin (format binary)",
            async (row, v, token) =>
            {
                await row.WriteAsync(v.Id, NpgsqlDbType.Uuid, token);
                await row.WriteAsync(v.ProductId, NpgsqlDbType.Uuid, token);
                await row.WriteAsync(v.Sku, NpgsqlDbType.Text, token);
                await row.WriteAsync(v.Title, NpgsqlDbType.Text, token);
                await row.WriteAsync(json.Options(v.Options), NpgsqlDbType.Jsonb, token);
                await row.WriteAsync(v.PriceAmount, NpgsqlDbType.Bigint, token);
                await row.WriteAsync(v.Currency, NpgsqlDbType.Char, token);
                await row.WriteAsync(v.WeightGrams, NpgsqlDbType.Integer, token);
                await row.WriteAsync(v.Position, NpgsqlDbType.Integer, token);
                await row.WriteAsync(v.CreatedAt, NpgsqlDbType.TimestampTz, token);
                await row.WriteAsync(v.CreatedAt, NpgsqlDbType.TimestampTz, token);
            }, progress, ct);

        await CopyAsync(conn, "inventory", catalog.Variants,
            "copy inventory (sku, on_hand, updated_at) from stdin (format binary)",
            async (row, v, token) =>
            {
                await row.WriteAsync(v.Sku, NpgsqlDbType.Text, token);
                await row.WriteAsync(v.OnHand, NpgsqlDbType.Integer, token);
                await row.WriteAsync(v.CreatedAt, NpgsqlDbType.TimestampTz, token);
            }, progress, ct);

        await conn.ExecuteAsync(new CommandDefinition("""
            select stock_bulk_loaded('demo catalog', 'system:demo-loader');
            select set_config('headless.stock_bulk', '', true);
            update products p set option_names = k.names
            from (select v.product_id, array_agg(distinct o.key order by o.key) as names
                  from variants v, jsonb_object_keys(v.options) as o(key)
                  group by v.product_id) k
            where p.id = k.product_id;
            """, transaction: tx, commandTimeout: BulkPassSeconds, cancellationToken: ct));

        await conn.ExecuteAsync(new CommandDefinition("""
            with counts (body) as (
                select jsonb_build_object(
                    'categories', @Categories, 'products', @Products, 'productCategories', @ProductCategories,
                    'variants', @Variants, 'inventory', @Variants)
            ), event as (
                insert into outbox (topic, aggregate_type, aggregate_id, payload)
                select 'catalog.loaded', 'catalog', 'demo', body from counts
            )
            insert into audit_log (actor, action, entity_type, entity_id, after)
            select 'system:demo-loader', 'catalog.loaded', 'catalog', 'demo', body from counts
            """,
            new
            {
                Categories = catalog.Categories.Count,
                Products = catalog.Products.Count,
                ProductCategories = catalog.ProductCategories.Count,
                Variants = catalog.Variants.Count,
            },
            tx, cancellationToken: ct));

        await tx.CommitAsync(ct);
        return new DemoLoadResult(true, catalog.Categories.Count, catalog.Products.Count, catalog.Variants.Count, clock.Elapsed);
    }

    private static async Task CopyAsync<T>(
        NpgsqlConnection conn,
        string table,
        IReadOnlyList<T> rows,
        string copySql,
        Func<NpgsqlBinaryImporter, T, CancellationToken, ValueTask> writeRow,
        IProgress<string>? progress,
        CancellationToken ct)
    {
        await using var importer = await conn.BeginBinaryImportAsync(copySql, ct);
        for (var i = 0; i < rows.Count; i++)
        {
            await importer.StartRowAsync(ct);
            await writeRow(importer, rows[i], ct);
            if ((i + 1) % ProgressEvery == 0 && i + 1 < rows.Count)
            {
                progress?.Report($"{table} {i + 1}/{rows.Count}");
            }
        }
        var written = await importer.CompleteAsync(ct);
        progress?.Report($"{table} {written}/{rows.Count}");
    }

    private sealed class JsonText
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(512);

        public string Images(IReadOnlyList<DemoImage> images) => Write(writer =>
        {
            writer.WriteStartArray();
            foreach (var image in images)
            {
                writer.WriteStartObject();
                writer.WriteString("url", image.Url);
                writer.WriteString("alt", image.Alt);
                writer.WriteNumber("width", image.Width);
                writer.WriteNumber("height", image.Height);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        });

        public string Options(IReadOnlyList<DemoOption> options) => Write(writer =>
        {
            writer.WriteStartObject();
            foreach (var option in options)
            {
                writer.WriteString(option.Name, option.Value);
            }
            writer.WriteEndObject();
        });

        private string Write(Action<Utf8JsonWriter> write)
        {
            _buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(_buffer))
            {
                write(writer);
            }
            return Encoding.UTF8.GetString(_buffer.WrittenSpan);
        }
    }
}
