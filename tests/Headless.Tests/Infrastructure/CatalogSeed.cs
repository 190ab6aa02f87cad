using System.Net;
using System.Net.Http.Json;
using Dapper;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Npgsql;

namespace Headless.Tests.Infrastructure;

/// <summary>Builds catalog data through the admin API, the way a merchant would.</summary>
public static class CatalogSeed
{
    private static int _counter;

    public static string Unique(string prefix) => $"{prefix}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid().ToString("N")[..6]}";

    public static CreateVariantRequest Variant(string? sku = null, long price = 1500, int stock = 10, string size = "M") =>
        new(sku ?? Unique("SKU").ToUpperInvariant(), size, new Dictionary<string, string> { ["size"] = size }, new MoneyInput(price, "EUR"), 250, stock);

    public static CreateProductRequest Product(string? slug = null, string status = "active", List<Guid>? categories = null, params CreateVariantRequest[] variants) =>
        new(slug ?? Unique("product"), "Organic Cotton Tote " + Guid.NewGuid().ToString("N")[..4], "A sturdy tote.", status,
            [new ImageInput("/images/tote.jpg", "A tote bag", 800, 800)], ["plastic-free"], false, categories ?? [],
            variants.Length == 0 ? [Variant()] : [.. variants]);

    public static async Task<ProductDetail> CreateProductAsync(this HttpClient admin, CreateProductRequest request)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/admin/products", request, Http.Json);
        return await response.ReadAsync<ProductDetail>(HttpStatusCode.Created);
    }

    public static async Task<CategoryNode> CreateCategoryAsync(this HttpClient admin, string slug, Guid? parent = null)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/admin/categories", new CreateCategoryRequest(slug, slug, null, parent, null), Http.Json);
        return await response.ReadAsync<CategoryNode>(HttpStatusCode.Created);
    }

    /// <summary>Row counts of every catalog table plus the outbox and audit log: "nothing changed" means these are equal.</summary>
    public static async Task<string> FingerprintAsync(NpgsqlDataSource db)
    {
        await using var conn = await db.OpenConnectionAsync();
        var counts = await conn.QuerySingleAsync<(long, long, long, long, long, long, long, long)>("""
            select (select count(*) from products), (select count(*) from variants), (select count(*) from inventory),
                   (select count(*) from categories), (select count(*) from outbox), (select count(*) from audit_log),
                   (select coalesce(sum(version), 0) from products), (select coalesce(sum(on_hand), 0) from inventory)
            """);
        return counts.ToString();
    }
}
