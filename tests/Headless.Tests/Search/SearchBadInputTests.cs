using System.Net;
using Headless.Contracts.Search;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Search;

/// <summary>Bad input is a 400 problem naming the field; hostile strings are just words. Never a 500.</summary>
public sealed class SearchBadInputTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Theory]
    [InlineData("sort=bogus", "sort")]
    [InlineData("sort=relevance", "sort")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("minPrice=-1", "minPrice")]
    [InlineData("minPrice=500&maxPrice=100", "minPrice")]
    [InlineData("category=Not%20A%20Slug", "category")]
    [InlineData("category=no-such-category", "category")]
    [InlineData("option=size", "option")]
    [InlineData("option=:m", "option")]
    [InlineData("option=size:", "option")]
    [InlineData("tag=Has%20Spaces", "tag")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("cursor=bmV3ZXN0Cnh4Cjl4CjEKMDA", "cursor")]
    public async Task Invalid_filters_are_answered_with_a_problem_naming_the_field(string query, string field)
    {
        var problem = await (await api.CreateClient().GetAsync("/api/v1/search?" + query)).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains(field, problem.FieldErrors());
    }

    [Theory]
    [InlineData("limit=abc")]
    [InlineData("minPrice=1e99")]
    [InlineData("inStock=maybe")]
    [InlineData("facets=2")]
    public async Task Unparsable_values_are_a_400_problem(string query)
    {
        await (await api.CreateClient().GetAsync("/api/v1/search?" + query)).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Overlong_queries_and_too_many_words_or_filters_are_refused()
    {
        var client = api.CreateClient();
        var problem = await (await client.GetAsync("/api/v1/search?q=" + new string('a', 201))).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("q", problem.FieldErrors());
        await (await client.GetAsync("/api/v1/search?q=" + string.Join("+", Enumerable.Repeat("wool", 11)))).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.GetAsync("/api/v1/search?q=" + new string('w', 41))).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.GetAsync("/api/v1/search?" + string.Join("&", Enumerable.Range(0, 21).Select(i => $"tag=t{i}")))).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.GetAsync("/api/v1/search/suggest?q=" + new string('a', 101))).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.GetAsync("/api/v1/search/suggest?q=%20%21%3F")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.GetAsync("/api/v1/search/suggest")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.GetAsync("/api/v1/search/suggest?q=a&limit=11")).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("'; drop table products; --")]
    [InlineData("\" OR 1=1 --")]
    [InlineData("a' & 'b' | !c:* <-> (d")]
    [InlineData("{\"query\":{\"match_all\":{}}}")]
    [InlineData("*:* OR _exists_:title")]
    [InlineData("\\u0000 %00 \u0000")]
    [InlineData("$where: this.price > 0")]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("🧼🌱 ÆØÅ ß ğ")]
    public async Task Injection_strings_are_searched_as_plain_words(string hostile)
    {
        var admin = api.Admin();
        var product = await admin.CreateAsync("Injectproof Soap Dish");
        await admin.UntilFoundAsync("q=injectproof", product.Id);
        var before = await CatalogSeed.FingerprintAsync(api.Db);
        var client = api.CreateClient();
        foreach (var path in new[]
                 {
                     "/api/v1/search?q=" + Uri.EscapeDataString(hostile),
                     "/api/v1/search?facets=true&q=" + Uri.EscapeDataString(hostile),
                     "/api/v1/search/suggest?q=" + Uri.EscapeDataString(hostile + "x"),
                     "/api/v1/search?option=" + Uri.EscapeDataString("size:" + hostile[..Math.Min(hostile.Length, 50)]),
                 })
        {
            var response = await client.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode} {body}");
            Assert.DoesNotContain("Npgsql", body, StringComparison.Ordinal);
        }
        // The catalog is untouched and still searchable.
        Assert.Equal(before, await CatalogSeed.FingerprintAsync(api.Db));
        var after = await client.SearchAsync("q=injectproof&limit=100");
        Assert.Contains(product.Id, after.Items.Select(i => i.Id));
    }

    [Fact]
    public async Task A_cursor_from_another_search_is_refused_not_misread()
    {
        var admin = api.Admin();
        for (var i = 0; i < 3; i++)
        {
            await admin.CreateAsync($"Cursorwick Lamp {i}");
        }
        var first = await SearchKit.EventuallyAsync(() => admin.SearchAsync("q=cursorwick&limit=1"), r => r.Total == 3);
        Assert.NotNull(first.NextCursor);
        var problem = await (await admin.GetAsync($"/api/v1/search?q=lamp&limit=1&cursor={first.NextCursor}")).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("cursor", problem.FieldErrors());
        await (await admin.GetAsync($"/api/v1/search?q=cursorwick&sort=newest&limit=1&cursor={first.NextCursor}")).ProblemAsync(HttpStatusCode.BadRequest);
        var second = await (await admin.GetAsync($"/api/v1/search?q=cursorwick&limit=1&cursor={first.NextCursor}")).ReadAsync<SearchResults>();
        Assert.Single(second.Items);
        Assert.NotEqual(first.Items[0].Id, second.Items[0].Id);
    }
}
