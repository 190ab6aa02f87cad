using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Features.Catalog.Admin;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Npgsql;

namespace Headless.Api.Features.Catalog.Imports;

public enum ImportOutcome
{
    Created,
    Updated,
    Unchanged,
}

/// <summary>A product the database refused as the file has it (a SKU taken meanwhile, stock below what is reserved).</summary>
public sealed class ProductImportConflict(int row, string? column, string message) : Exception(message)
{
    public int Row { get; } = row;
    public string? Column { get; } = column;
}

/// <summary>
/// Applies one imported product: found by handle (= slug) under a row lock, its variants by SKU. Only
/// what differs is written, so an unchanged product writes nothing at all. New and changed variants and
/// their stock are written with one multi-row statement each (arrays through unnest), not one per variant.
/// Variants the file no longer lists are archived, not deleted (orders refer to them). Stock is set to
/// `Variant Inventory Qty` when given (the ledger says "CSV import"); an empty cell leaves stock alone.
/// </summary>
public static class ProductImport
{
    /// <summary>Imported remote images have no known size (the import does not fetch URLs: no requests to
    /// addresses a file names); they get this nominal square size until replaced by an uploaded image.</summary>
    public const int NominalImageSize = 1024;

    private const string ActiveMinPrice = "(select min(price_amount) from variants where product_id = @id and status = 'active')";

    /// <summary>Applies the product inside the caller's transaction (the caller commits, or rolls back on a
    /// <see cref="ProductImportConflict"/> or a refusal by the database).</summary>
    public static async Task<(ImportOutcome Outcome, Guid Id)> ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Actor actor, ImportedProduct p, string currency, CancellationToken ct)
    {
        var log = new WriteLog(conn, tx, actor);
        var current = await conn.QuerySingleOrDefaultAsync<ProductState>(new CommandDefinition("""
            select id, title, description, status, images::text as images, tags, vendor, product_type as producttype,
                   seo_title as seotitle, seo_description as seodescription, option_names as optionnames
            from products where slug = @Handle for update
            """, new { p.Handle }, tx, cancellationToken: ct));
        return current is null
            ? await CreateAsync(log, p, currency, ct)
            : await UpdateAsync(log, current, p, currency, ct);
    }

    private static async Task<(ImportOutcome, Guid)> CreateAsync(WriteLog log, ImportedProduct p, string currency, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        await log.Connection.ExecuteAsync(new CommandDefinition("""
            insert into products (id, slug, title, description, status, images, tags, vendor, product_type, seo_title, seo_description, option_names)
            values (@id, @Handle, @Title, @Description, @Status, @images::jsonb, @Tags, @Vendor, @ProductType, @SeoTitle, @SeoDescription, @OptionNames)
            """, new
        {
            id,
            p.Handle,
            p.Title,
            p.Description,
            p.Status,
            images = Images(p, null).ToJsonString(),
            Tags = p.Tags.ToArray(),
            p.Vendor,
            p.ProductType,
            p.SeoTitle,
            p.SeoDescription,
            OptionNames = p.OptionNames.ToArray(),
        }, log.Transaction, cancellationToken: ct));
        await StockLedger.NoteAsync(log.Connection, log.Transaction, "CSV import", log.Actor.Id);
        await InsertVariantsAsync(log, id, p, [.. p.Variants.Select((v, i) => (v, i))], currency, ct);
        await log.Connection.ExecuteAsync(new CommandDefinition($"""
            update products set min_price = {ActiveMinPrice} where id = @id;
            select product_stock_refresh(@id);
            """, new { id }, log.Transaction, cancellationToken: ct));
        var after = await ProductWrites.LoadAsync(log, id);
        await ProductWrites.RecordAsync(log, "product.created", id, null, after, new JsonObject { ["source"] = "csv-import" });
        return (ImportOutcome.Created, id);
    }

    private static async Task<(ImportOutcome, Guid)> UpdateAsync(WriteLog log, ProductState current, ImportedProduct p, string currency, CancellationToken ct)
    {
        var id = current.Id;
        var conn = log.Connection;
        var variants = (await conn.QueryAsync<VariantState>(new CommandDefinition("""
            select v.id, v.sku, v.title, v.options::text as options, v.price_amount as price, v.compare_at_minor as compareat,
                   v.weight_grams as grams, v.status, v.position, coalesce(i.on_hand, 0) as onhand, coalesce(i.reserved, 0) as reserved
            from variants v left join inventory i on i.sku = v.sku
            where v.product_id = @id
            order by v.position, v.sku
            for update of v
            """, new { id }, log.Transaction, cancellationToken: ct))).ToDictionary(v => v.Sku, StringComparer.Ordinal);
        var before = await ProductWrites.LoadAsync(log, id);

        var images = Images(p, current.Images);
        var productChanged = current.Title != p.Title || current.Description != p.Description || current.Status != p.Status
            || !current.Tags.SequenceEqual(p.Tags) || current.Vendor != p.Vendor || current.ProductType != p.ProductType
            || current.SeoTitle != p.SeoTitle || current.SeoDescription != p.SeoDescription || !current.OptionNames.SequenceEqual(p.OptionNames)
            || !JsonNode.DeepEquals(JsonNode.Parse(current.Images), images);
        var variantsChanged = false;
        var stockChanged = new List<(string Sku, int Before, int After, int Reserved)>();

        var added = new List<(ImportedVariant, int)>();
        var changed = new List<(Guid Id, ImportedVariant Variant, int Position, string Options)>();
        for (var i = 0; i < p.Variants.Count; i++)
        {
            var v = p.Variants[i];
            if (!variants.TryGetValue(v.Sku, out var existing))
            {
                added.Add((v, i));
                continue;
            }
            var options = Options(p, v);
            var same = existing.Title == VariantTitle(p, v) && existing.Price == v.Price && existing.CompareAt == v.CompareAtPrice
                && existing.Grams == v.Grams && existing.Status == "active" && existing.Position == i
                && OptionsEqual(existing.Options, options);
            if (!same)
            {
                changed.Add((existing.Id, v, i, options));
            }
            if (v.InventoryQty is { } qty && qty != existing.OnHand)
            {
                if (qty < existing.Reserved)
                {
                    throw new ProductImportConflict(v.Row, ShopifyColumns.InventoryQty,
                        $"{existing.Reserved} of {v.Sku} are reserved by open orders: the stock cannot go below that. Nothing of this product was changed.");
                }
                stockChanged.Add((v.Sku, existing.OnHand, qty, existing.Reserved));
            }
        }
        if (added.Count > 0 || stockChanged.Count > 0)
        {
            await StockLedger.NoteAsync(conn, log.Transaction, "CSV import", log.Actor.Id);
        }
        if (added.Count > 0)
        {
            await InsertVariantsAsync(log, id, p, added, currency, ct);
            variantsChanged = true;
        }
        if (changed.Count > 0)
        {
            await conn.ExecuteAsync(new CommandDefinition("""
                update variants v
                set title = u.title, options = u.options::jsonb, price_amount = u.price, compare_at_minor = u.compare_at,
                    weight_grams = u.grams, status = 'active', position = u.position, version = v.version + 1, updated_at = now()
                from unnest(@ids, @titles, @options, @prices, @compareAts, @grams, @positions)
                     as u(id, title, options, price, compare_at, grams, position)
                where v.id = u.id
                """, new
            {
                ids = changed.Select(c => c.Id).ToArray(),
                titles = changed.Select(c => VariantTitle(p, c.Variant)).ToArray(),
                options = changed.Select(c => c.Options).ToArray(),
                prices = changed.Select(c => c.Variant.Price).ToArray(),
                compareAts = changed.Select(c => c.Variant.CompareAtPrice).ToArray(),
                grams = changed.Select(c => c.Variant.Grams).ToArray(),
                positions = changed.Select(c => c.Position).ToArray(),
            }, log.Transaction, cancellationToken: ct));
            variantsChanged = true;
        }
        if (stockChanged.Count > 0)
        {
            await conn.ExecuteAsync(new CommandDefinition("""
                update inventory i set on_hand = u.qty, version = i.version + 1, updated_at = now()
                from unnest(@skus, @qtys) as u(sku, qty)
                where i.sku = u.sku
                """, new { skus = stockChanged.Select(c => c.Sku).ToArray(), qtys = stockChanged.Select(c => c.After).ToArray() },
                log.Transaction, cancellationToken: ct));
        }
        var listed = p.Variants.Select(v => v.Sku).ToHashSet(StringComparer.Ordinal);
        var dropped = variants.Values.Where(v => v.Status == "active" && !listed.Contains(v.Sku)).Select(v => v.Id).ToArray();
        if (dropped.Length > 0)
        {
            await conn.ExecuteAsync(new CommandDefinition("""
                update variants set status = 'archived', version = version + 1, updated_at = now() where id = any(@dropped)
                """, new { dropped }, log.Transaction, cancellationToken: ct));
            variantsChanged = true;
        }

        if (productChanged || variantsChanged)
        {
            await conn.ExecuteAsync(new CommandDefinition($"""
                update products
                set title = @Title, description = @Description, status = @Status, images = @images::jsonb, tags = @Tags, vendor = @Vendor,
                    product_type = @ProductType, seo_title = @SeoTitle, seo_description = @SeoDescription, option_names = @OptionNames,
                    min_price = {ActiveMinPrice}, version = version + 1, updated_at = now()
                where id = @id;
                select product_stock_refresh(@id);
                """, new
            {
                id,
                p.Title,
                p.Description,
                p.Status,
                images = images.ToJsonString(),
                Tags = p.Tags.ToArray(),
                p.Vendor,
                p.ProductType,
                p.SeoTitle,
                p.SeoDescription,
                OptionNames = p.OptionNames.ToArray(),
            }, log.Transaction, cancellationToken: ct));
        }
        foreach (var (sku, onHandBefore, onHandAfter, reserved) in stockChanged)
        {
            await log.EventAsync("inventory.changed", "product", id.ToString(), new JsonObject
            {
                ["sku"] = sku,
                ["onHand"] = onHandAfter,
                ["reserved"] = reserved,
                ["available"] = onHandAfter - reserved,
            });
            await log.AuditAsync("inventory.changed", "inventory", sku, $$"""{"onHand":{{onHandBefore}}}""", $$"""{"onHand":{{onHandAfter}},"reason":"CSV import"}""");
        }
        if (!productChanged && !variantsChanged)
        {
            return (stockChanged.Count > 0 ? ImportOutcome.Updated : ImportOutcome.Unchanged, id);
        }
        var after = await ProductWrites.LoadAsync(log, id);
        await ProductWrites.RecordAsync(log, "product.updated", id, before, after, new JsonObject { ["source"] = "csv-import" });
        return (ImportOutcome.Updated, id);
    }

    /// <summary>Inserts new variants and their stock with one statement each (Variant Inventory Qty, or 0).</summary>
    private static async Task InsertVariantsAsync(WriteLog log, Guid productId, ImportedProduct p, IReadOnlyList<(ImportedVariant Variant, int Position)> added, string currency, CancellationToken ct)
    {
        var skus = added.Select(a => a.Variant.Sku).ToArray();
        var inserted = (await log.Connection.QueryAsync<string>(new CommandDefinition("""
            insert into variants (id, product_id, sku, title, options, price_amount, compare_at_minor, currency, weight_grams, position)
            select u.id, @productId, u.sku, u.title, u.options::jsonb, u.price, u.compare_at, @currency, u.grams, u.position
            from unnest(@ids, @skus, @titles, @options, @prices, @compareAts, @grams, @positions)
                 as u(id, sku, title, options, price, compare_at, grams, position)
            on conflict (sku) do nothing
            returning sku
            """, new
        {
            productId,
            currency,
            ids = added.Select(_ => Guid.CreateVersion7()).ToArray(),
            skus,
            titles = added.Select(a => VariantTitle(p, a.Variant)).ToArray(),
            options = added.Select(a => Options(p, a.Variant)).ToArray(),
            prices = added.Select(a => a.Variant.Price).ToArray(),
            compareAts = added.Select(a => a.Variant.CompareAtPrice).ToArray(),
            grams = added.Select(a => a.Variant.Grams).ToArray(),
            positions = added.Select(a => a.Position).ToArray(),
        }, log.Transaction, cancellationToken: ct))).ToHashSet(StringComparer.Ordinal);
        if (added.FirstOrDefault(a => !inserted.Contains(a.Variant.Sku)) is { Variant: { } taken })
        {
            throw new ProductImportConflict(taken.Row, ShopifyColumns.Sku, $"The SKU {taken.Sku} was taken by another product while the import ran. Nothing of this product was changed.");
        }
        await log.Connection.ExecuteAsync(new CommandDefinition("""
            insert into inventory (sku, on_hand) select * from unnest(@skus, @qtys)
            on conflict (sku) do update set on_hand = excluded.on_hand, version = inventory.version + 1, updated_at = now()
            """, new { skus, qtys = added.Select(a => a.Variant.InventoryQty ?? 0).ToArray() }, log.Transaction, cancellationToken: ct));
    }

    private static string VariantTitle(ImportedProduct p, ImportedVariant v) => p.OptionNames.Count == 0 ? "" : v.Title;

    private static string Options(ImportedProduct p, ImportedVariant v)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < p.OptionNames.Count && i < v.OptionValues.Count; i++)
        {
            options[p.OptionNames[i]] = v.OptionValues[i];
        }
        return JsonSerializer.Serialize(options, ApiJsonContext.Default.DictionaryStringString);
    }

    private static bool OptionsEqual(string storedJson, string desiredJson)
    {
        var stored = JsonSerializer.Deserialize(storedJson, ApiJsonContext.Default.DictionaryStringString) ?? [];
        var desired = JsonSerializer.Deserialize(desiredJson, ApiJsonContext.Default.DictionaryStringString) ?? [];
        return stored.Count == desired.Count && stored.All(kv => desired.TryGetValue(kv.Key, out var value) && value == kv.Value);
    }

    /// <summary>The product's images as the file lists them. An image already on the product (same URL)
    /// keeps everything it has (its size, its renditions) and takes the file's alt text.</summary>
    private static JsonArray Images(ImportedProduct p, string? currentJson)
    {
        var current = (currentJson is null ? null : JsonNode.Parse(currentJson) as JsonArray) ?? [];
        var images = new JsonArray();
        foreach (var image in p.Images)
        {
            var existing = current.OfType<JsonObject>().FirstOrDefault(i => i["url"]?.GetValue<string>() == image.Url);
            var node = existing?.DeepClone().AsObject() ?? new JsonObject
            {
                ["url"] = image.Url,
                ["alt"] = image.Alt,
                ["width"] = NominalImageSize,
                ["height"] = NominalImageSize,
            };
            node["alt"] = image.Alt;
            images.Add(node);
        }
        return images;
    }

    private sealed class ProductState
    {
        public Guid Id { get; init; }
        public string Title { get; init; } = "";
        public string Description { get; init; } = "";
        public string Status { get; init; } = "";
        public string Images { get; init; } = "[]";
        public string[] Tags { get; init; } = [];
        public string Vendor { get; init; } = "";
        public string ProductType { get; init; } = "";
        public string? SeoTitle { get; init; }
        public string? SeoDescription { get; init; }
        public string[] OptionNames { get; init; } = [];
    }

    private sealed class VariantState
    {
        public Guid Id { get; init; }
        public string Sku { get; init; } = "";
        public string Title { get; init; } = "";
        public string Options { get; init; } = "{}";
        public long Price { get; init; }
        public long? CompareAt { get; init; }
        public int Grams { get; init; }
        public string Status { get; init; } = "";
        public int Position { get; init; }
        public int OnHand { get; init; }
        public int Reserved { get; init; }
    }
}
