using System.Text;
using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using nietras.SeparatedValues;
using Npgsql;

namespace Headless.Api.Features.Catalog.Imports;

/// <summary>
/// Streams the whole catalog (every status) as Shopify's product CSV, the format the import reads, so an
/// export imports back to the same catalog. Products in id order, read in keyset pages of 500 and written
/// page by page: memory stays constant whatever the catalog's size. Each product's active variants in
/// their order, one row each (the first row carries the product's fields); images go on the rows in
/// order, with image-only rows for images beyond the variants. A product without options is written the
/// way Shopify writes one (Option1 Name "Title", Option1 Value "Default Title"). Categories are not part
/// of Shopify's format and are not exported. (The JSON feed for site generators is GET /api/v1/catalog/products.)
/// </summary>
public sealed class ExportProductsCsv(NpgsqlDataSource db, IOptions<CatalogOptions> catalog) : EndpointWithoutRequest<EmptyHttpResult>
{
    private const int PageSize = 500;

    public override void Configure()
    {
        Get("/exports/products");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.CatalogStaff);
        Description(b => b.WithName("ExportProducts").WithTags("Admin imports")
            .Produces<string>(StatusCodes.Status200OK, "text/csv"));
        Summary(s =>
        {
            s.Summary = "Download the whole catalog as a Shopify product CSV (every status), streamed";
            s.Description = "The same columns as the import (Handle … Status), one row per active variant, image-only rows for extra images, in product id order. " +
                "Prices with a decimal point in the catalog currency, stock as on hand. Importing the file into an empty catalog gives the same catalog (categories aside: they are not in Shopify's format). " +
                "Sent as an attachment (`Content-Disposition`), streamed page by page.";
        });
    }

    public override async Task<EmptyHttpResult> ExecuteAsync(CancellationToken ct)
    {
        var currency = catalog.Value.Currency;
        var response = HttpContext.Response;
        response.ContentType = "text/csv; charset=utf-8";
        response.Headers.ContentDisposition = $"attachment; filename=\"products-{DateTime.UtcNow:yyyy-MM-dd}.csv\"";
        response.Headers.CacheControl = "no-store";

        var text = new StringWriter(new StringBuilder(256 * 1024));
        using var writer = Sep.New(',').Writer(o => o with { Escape = true }).To(text);
        await using var conn = await db.OpenConnectionAsync(ct);
        var after = Guid.Empty;
        var wroteHeader = false;
        while (true)
        {
            var products = (await conn.QueryAsync<ProductRow>(new CommandDefinition("""
                select id, slug, title, description, status, images::text as images, tags, vendor, product_type as producttype,
                       seo_title as seotitle, seo_description as seodescription, option_names as optionnames
                from products where id > @after order by id limit @PageSize
                """, new { after, PageSize }, cancellationToken: ct))).ToList();
            if (products.Count == 0)
            {
                break;
            }
            var variants = (await conn.QueryAsync<VariantRow>(new CommandDefinition("""
                select v.product_id as productid, v.sku, v.options::text as options, v.price_amount as price, v.compare_at_minor as compareat,
                       v.weight_grams as grams, coalesce(i.on_hand, 0) as onhand
                from variants v left join inventory i on i.sku = v.sku
                where v.product_id = any(@ids) and v.status = 'active'
                order by v.product_id, v.position, v.sku
                """, new { ids = products.Select(p => p.Id).ToArray() }, cancellationToken: ct))).ToLookup(v => v.ProductId);
            foreach (var product in products)
            {
                ProductRows.Write(writer, product, variants[product.Id].ToList(), currency);
            }
            if (!wroteHeader)
            {
                wroteHeader = true;
            }
            writer.Flush();
            await response.WriteAsync(text.ToString(), ct);
            text.GetStringBuilder().Clear();
            after = products[^1].Id;
        }
        if (!wroteHeader)
        {
            // An empty catalog is still a valid file: the header alone.
            await response.WriteAsync(string.Join(',', ShopifyColumns.All.Select(c => c.Contains(',') ? $"\"{c}\"" : c)) + "\n", ct);
        }
        return TypedResults.Empty;
    }

    internal sealed class ProductRow
    {
        public Guid Id { get; init; }
        public string Slug { get; init; } = "";
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

    internal sealed class VariantRow
    {
        public Guid ProductId { get; init; }
        public string Sku { get; init; } = "";
        public string Options { get; init; } = "{}";
        public long Price { get; init; }
        public long? CompareAt { get; init; }
        public int Grams { get; init; }
        public int OnHand { get; init; }
    }

    /// <summary>One product's rows.</summary>
    internal static class ProductRows
    {
        public static void Write(SepWriter writer, ProductRow p, List<VariantRow> variants, string currency)
        {
            var images = System.Text.Json.JsonSerializer.Deserialize(p.Images, Platform.Json.ApiJsonContext.Default.ListProductImage) ?? [];
            var names = p.OptionNames;
            var rows = Math.Max(1, Math.Max(variants.Count, images.Count));
            for (var r = 0; r < rows; r++)
            {
                using var row = writer.NewRow();
                foreach (var column in ShopifyColumns.All)
                {
                    row[column].Set("");
                }
                row[ShopifyColumns.Handle].Set(p.Slug);
                if (r == 0)
                {
                    row[ShopifyColumns.Title].Set(p.Title);
                    row[ShopifyColumns.Body].Set(p.Description);
                    row[ShopifyColumns.Vendor].Set(p.Vendor);
                    row[ShopifyColumns.Type].Set(p.ProductType);
                    row[ShopifyColumns.Tags].Set(string.Join(", ", p.Tags));
                    row[ShopifyColumns.Published].Set(p.Status == "active" ? "true" : "false");
                    row[ShopifyColumns.SeoTitle].Set(p.SeoTitle ?? "");
                    row[ShopifyColumns.SeoDescription].Set(p.SeoDescription ?? "");
                    row[ShopifyColumns.Status].Set(p.Status);
                    if (variants.Count > 0)
                    {
                        if (names.Length == 0)
                        {
                            row[ShopifyColumns.Option1Name].Set(ShopifyColumns.DefaultOptionName);
                        }
                        for (var i = 0; i < names.Length && i < 3; i++)
                        {
                            row[ShopifyColumns.OptionNames[i]].Set(names[i]);
                        }
                    }
                }
                if (r < variants.Count)
                {
                    var v = variants[r];
                    var options = System.Text.Json.JsonSerializer.Deserialize(v.Options, Platform.Json.ApiJsonContext.Default.DictionaryStringString) ?? [];
                    if (names.Length == 0)
                    {
                        row[ShopifyColumns.Option1Value].Set(ShopifyColumns.DefaultOptionValue);
                    }
                    for (var i = 0; i < names.Length && i < 3; i++)
                    {
                        row[ShopifyColumns.OptionValues[i]].Set(options.GetValueOrDefault(names[i], ""));
                    }
                    row[ShopifyColumns.Sku].Set(v.Sku);
                    row[ShopifyColumns.Grams].Set(v.Grams.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    row[ShopifyColumns.InventoryQty].Set(v.OnHand.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    row[ShopifyColumns.Price].Set(MinorUnits.Decimal(v.Price, currency));
                    row[ShopifyColumns.CompareAtPrice].Set(v.CompareAt is { } c ? MinorUnits.Decimal(c, currency) : "");
                }
                if (r < images.Count)
                {
                    row[ShopifyColumns.ImageSrc].Set(images[r].Url);
                    row[ShopifyColumns.ImagePosition].Set((r + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    row[ShopifyColumns.ImageAlt].Set(images[r].Alt);
                }
            }
        }
    }
}
