using System.Net;
using System.Runtime.CompilerServices;
using Headless.Sdk;

namespace Headless.Storefront.Catalog;

/// <summary>Reads the catalog through the public API with the generated SDK: no database access.</summary>
public sealed class CatalogReader(IHeadlessClient client, StorefrontOptions options)
{
    /// <summary>The number of active products the export's first page reported.</summary>
    public int? LastTotal { get; private set; }

    public Task<CategoryTree> CategoriesAsync(CancellationToken ct) => client.GetCategoryTreeAsync(ct);

    /// <summary>Every active product, in pages of <see cref="StorefrontOptions.FetchPageSize"/>; the next page
    /// is requested while the caller works on the current one.</summary>
    public async IAsyncEnumerable<IReadOnlyList<ProductDetail>> ProductPagesAsync([EnumeratorCancellation] CancellationToken ct)
    {
        LastTotal = null;
        var next = client.ExportCatalogProductsAsync(null, options.FetchPageSize, ct);
        while (true)
        {
            var page = await next;
            LastTotal ??= page.Total;
            if (page.NextCursor is { } cursor)
            {
                next = client.ExportCatalogProductsAsync(cursor, options.FetchPageSize, ct);
            }
            yield return [.. page.Items];
            if (page.NextCursor is null)
            {
                yield break;
            }
        }
    }

    /// <summary>The product as the public API shows it now, or null when it is not for sale (archived, draft, deleted).</summary>
    public async Task<ProductDetail?> ProductAsync(Guid id, CancellationToken ct)
    {
        try
        {
            return await client.GetProductAsync(id.ToString(), ct);
        }
        catch (ApiException e) when (e.StatusCode == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Reads the change feed from <paramref name="since"/> to its current end.</summary>
    public async Task<(List<CatalogChange> Changes, string Cursor)> ChangesAsync(string? since, CancellationToken ct)
    {
        var changes = new List<CatalogChange>();
        while (true)
        {
            var page = await client.GetCatalogChangesAsync(since, 1000, ct);
            changes.AddRange(page.Changes);
            since = page.NextCursor;
            if (!page.HasMore)
            {
                return (changes, since);
            }
        }
    }
}
