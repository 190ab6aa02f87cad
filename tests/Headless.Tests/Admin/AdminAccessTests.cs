using System.Net;
using System.Net.Http.Headers;
using Headless.Api.Platform.Security;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Admin;

/// <summary>Every route under /api/v1/admin, read from the app's own endpoint data source so new routes
/// are covered without touching this test, refuses callers without an admin credential.</summary>
public sealed class AdminAccessTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    public static IEnumerable<(string Method, string Path)> AdminRoutes(ApiFactory api)
    {
        var sources = api.Services.GetRequiredService<IEnumerable<EndpointDataSource>>();
        foreach (var endpoint in sources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>())
        {
            // FastEndpoints writes its route patterns without the leading slash.
            var pattern = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
            if (!pattern.StartsWith("/api/v1/admin", StringComparison.Ordinal))
            {
                continue;
            }
            var path = string.Join('/', pattern.Split('/').Select(segment => segment.StartsWith('{')
                ? segment.Contains(":guid", StringComparison.Ordinal) ? Guid.NewGuid().ToString() : "SKU-1"
                : segment));
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
            {
                yield return (method, path);
            }
        }
    }

    private async Task<List<string>> CallEveryAdminRouteAsync(HttpClient client, HttpStatusCode expected)
    {
        var routes = AdminRoutes(api).ToList();
        Assert.True(routes.Count >= 13, $"only {routes.Count} admin routes found");
        var wrong = new List<string>();
        foreach (var (method, path) in routes)
        {
            var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
            var response = await client.SendAsync(request);
            if (response.StatusCode != expected)
            {
                wrong.Add($"{method} {path} -> {(int)response.StatusCode}");
            }
            else
            {
                await response.ProblemAsync(expected);
            }
        }
        return wrong;
    }

    [Fact]
    public async Task Anonymous_callers_get_401_on_every_admin_route()
    {
        Assert.Empty(await CallEveryAdminRouteAsync(api.CreateClient(), HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task An_unknown_or_revoked_key_gets_401_on_every_admin_route()
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "hk_not-a-real-key");
        Assert.Empty(await CallEveryAdminRouteAsync(client, HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task A_key_without_the_admin_role_gets_403_on_every_admin_route()
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        var key = await ApiKeys.IssueAsync(conn, "catalog reader", ["integration"]);
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key.Secret);
        Assert.Empty(await CallEveryAdminRouteAsync(client, HttpStatusCode.Forbidden));
    }

    [Fact]
    public async Task Keys_are_stored_only_as_hashes()
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        var stored = await Dapper.SqlMapper.QueryAsync<byte[]>(conn, "select key_hash from api_keys");
        Assert.All(stored, hash => Assert.Equal(32, hash.Length));
        Assert.Contains(stored, hash => hash.AsSpan().SequenceEqual(ApiKeys.Hash(api.AdminKey)));
        var asText = await Dapper.SqlMapper.ExecuteScalarAsync<long>(conn, "select count(*) from api_keys where encode(key_hash, 'escape') like '%' || @k || '%'", new { k = api.AdminKey[3..20] });
        Assert.Equal(0, asText);
    }
}
