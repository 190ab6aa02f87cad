using System.Net;
using System.Net.Http.Json;
using Headless.Contracts.Commerce;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Admin;

/// <summary>Every admin route that changes an existing versioned resource refuses a write without
/// If-Match (428), whatever its body, and a stale one with 412. Routes are read from the app's endpoint
/// data source (as in <see cref="AdminAccessTests"/>), so a new update route is covered without touching
/// this test: it must either require If-Match or be listed below with the reason it does not.</summary>
public sealed class IfMatchRequiredTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static readonly Dictionary<string, string> NotVersioned = new(StringComparer.Ordinal)
    {
        ["POST /api/v1/admin/products/{productId:guid}/variants"] = "creates a variant",
        ["POST /api/v1/admin/inventory/{sku}/adjustments"] = "a relative change applied atomically; it never overwrites a concurrent one",
        ["PUT /api/v1/admin/tax-rates/{country}"] = "creates a rate when there is none; If-Match is required once it exists (tested below)",
        ["POST /api/v1/admin/customers/{id:guid}/erase"] = "erasure: no version, and repeating it changes nothing",
        ["PUT /api/v1/admin/users/{id:guid}/roles"] = "users carry no version",
        ["DELETE /api/v1/admin/api-keys/{id:guid}"] = "revocation: no version, and repeating it changes nothing",
        ["DELETE /api/v1/admin/staff-invitations/{id:guid}"] = "revocation: no version, and repeating it changes nothing",
        ["POST /api/v1/admin/staff/{id:guid}/revocation"] = "users carry no version; repeating it changes nothing",
        ["POST /api/v1/admin/jobs/{id:guid}/cancellation"] = "a request to stop that overwrites no field; repeating it changes nothing",
        ["POST /api/v1/admin/webhook-endpoints/{id:guid}/redelivery"] = "queues failed deliveries again; overwrites no field of the endpoint",
        ["POST /api/v1/admin/webhook-endpoints/{id:guid}/deliveries/{deliveryId:guid}/retry"] = "queues one delivery again; overwrites no field of the endpoint",
    };

    private static IEnumerable<(string Method, string Pattern, string Path)> UpdateRoutes(ApiFactory api)
    {
        var sources = api.Services.GetRequiredService<IEnumerable<Microsoft.AspNetCore.Routing.EndpointDataSource>>();
        foreach (var endpoint in sources.SelectMany(s => s.Endpoints).OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>())
        {
            var pattern = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
            if (!pattern.StartsWith("/api/v1/admin", StringComparison.Ordinal) || !pattern.Contains('{', StringComparison.Ordinal))
            {
                continue; // collections: creates and lists
            }
            var path = string.Join('/', pattern.Split('/').Select(segment => segment.StartsWith('{')
                ? segment.Contains(":guid", StringComparison.Ordinal) ? Guid.NewGuid().ToString() : "SKU-1"
                : segment));
            foreach (var method in endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? [])
            {
                if (method is "PUT" or "PATCH" or "DELETE" or "POST")
                {
                    yield return (method, pattern, path);
                }
            }
        }
    }

    [Fact]
    public async Task Every_admin_update_without_if_match_is_a_428_before_anything_else()
    {
        var routes = UpdateRoutes(api).Where(r => !NotVersioned.ContainsKey($"{r.Method} {r.Pattern}")).ToList();
        Assert.True(routes.Count >= 10, $"only {routes.Count} admin update routes found");
        var admin = api.Admin();
        var wrong = new List<string>();
        foreach (var (method, pattern, path) in routes)
        {
            // An empty object: a body that would fail validation must not hide the missing header.
            var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { }) };
            var response = await admin.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.PreconditionRequired)
            {
                wrong.Add($"{method} {pattern} -> {(int)response.StatusCode}");
            }
            else
            {
                var problem = await response.ProblemAsync(HttpStatusCode.PreconditionRequired);
                Assert.Equal("https://headless.dev/problems/if-match-required", problem["type"]!.GetValue<string>());
            }
        }
        Assert.Empty(wrong);
        // The exceptions are real routes, so the list cannot silently go stale.
        var all = UpdateRoutes(api).Select(r => $"{r.Method} {r.Pattern}").ToHashSet();
        Assert.All(NotVersioned.Keys, k => Assert.Contains(k, all));
    }

    [Fact]
    public async Task Stock_set_variant_archive_and_tax_rates_need_the_current_version()
    {
        var admin = api.Admin();
        var product = await admin.CreateProductAsync(CatalogSeed.Product(variants: [CatalogSeed.Variant(stock: 5), CatalogSeed.Variant(size: "L", stock: 1)]));
        var sku = product.Variants[0].Sku;
        var before = await CatalogSeed.FingerprintAsync(api.Db);

        // Stale versions: 412, nothing changed.
        await (await admin.SendJsonAsync(HttpMethod.Put, $"/api/v1/admin/inventory/{sku}", new { onHand = 9, reason = "stock take" }, "\"v999\"")).ProblemAsync(HttpStatusCode.PreconditionFailed);
        await (await admin.PostWithIfMatchAsync($"/api/v1/admin/products/{product.Id}/variants/{product.Variants[1].Id}/archive", "\"v999\"")).ProblemAsync(HttpStatusCode.PreconditionFailed);
        await (await admin.PostWithIfMatchAsync($"/api/v1/admin/products/{product.Id}/archive", "\"v999\"")).ProblemAsync(HttpStatusCode.PreconditionFailed);
        Assert.Equal(before, await CatalogSeed.FingerprintAsync(api.Db));

        // Current versions: done, with the new ETag.
        var set = await admin.SetStockAsync(sku, new { onHand = 9, reason = "stock take" });
        Assert.Equal(9, (await set.ReadAsync<Contracts.Admin.StockLevel>()).OnHand);
        Assert.NotNull(set.Headers.ETag);
        var archived = await admin.PostWithIfMatchAsync($"/api/v1/admin/products/{product.Id}/variants/{product.Variants[1].Id}/archive", AdminIfMatch.ETag(product.Variants[1].Version));
        Assert.Equal("archived", (await archived.ReadAsync<Contracts.Catalog.ProductVariant>()).Status);

        // Tax rates: created without If-Match; once there, changed or removed only with it.
        var created = await admin.PutAsJsonAsync("/api/v1/admin/tax-rates/AT", new SetTaxRateRequest(2000, true), Http.Json);
        var rate = await created.ReadAsync<TaxRate>();
        await (await admin.PutAsJsonAsync("/api/v1/admin/tax-rates/AT", new SetTaxRateRequest(1000, true), Http.Json)).ProblemAsync(HttpStatusCode.PreconditionRequired);
        await (await admin.SendJsonAsync(HttpMethod.Put, "/api/v1/admin/tax-rates/AT", new SetTaxRateRequest(1000, true), "\"v999\"")).ProblemAsync(HttpStatusCode.PreconditionFailed);
        await (await admin.DeleteAsync("/api/v1/admin/tax-rates/AT")).ProblemAsync(HttpStatusCode.PreconditionRequired);
        var changed = await (await admin.SendJsonAsync(HttpMethod.Put, "/api/v1/admin/tax-rates/AT", new SetTaxRateRequest(1000, true), AdminIfMatch.ETag(rate.Version))).ReadAsync<TaxRate>();
        Assert.Equal(1000, changed.RateBasisPoints);
        await (await admin.DeleteWithIfMatchAsync("/api/v1/admin/tax-rates/AT", AdminIfMatch.ETag(rate.Version))).ProblemAsync(HttpStatusCode.PreconditionFailed);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteWithIfMatchAsync("/api/v1/admin/tax-rates/AT", AdminIfMatch.ETag(changed.Version))).StatusCode);
    }
}
