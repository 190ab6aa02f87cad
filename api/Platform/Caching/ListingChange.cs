using System.Text.Json;

namespace Headless.Api.Platform.Caching;

/// <summary>
/// What one product change means for listing pages, as the `listing:` notification of migration 0020 tells it
/// (raised by triggers on products and product_categories in the writing transaction, so no query is needed to
/// decide). A stock change that does not flip the product between in stock and sold out raises none.
/// </summary>
public sealed record ListingChange(Guid ProductId, ListingChangeKinds Kinds, bool Listed, bool InStock, long CreatedMicros,
    long? Price, IReadOnlySet<string> Scope)
{
    public static bool TryParse(string json, out ListingChange change)
    {
        change = null!;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var kinds = ListingChangeKinds.None;
            foreach (var what in root.GetProperty("what").EnumerateArray())
            {
                kinds |= what.GetString() switch
                {
                    "membership" => ListingChangeKinds.Membership,
                    "stock" => ListingChangeKinds.Stock,
                    "price" => ListingChangeKinds.Price,
                    "title" => ListingChangeKinds.Title,
                    "card" => ListingChangeKinds.Card,
                    // Unknown to this release: treat it as the widest change.
                    _ => ListingChangeKinds.Membership,
                };
            }
            var price = root.GetProperty("price");
            change = new ListingChange(
                root.GetProperty("id").GetGuid(), kinds,
                root.GetProperty("listed").GetBoolean(), root.GetProperty("inStock").GetBoolean(),
                root.GetProperty("micros").ValueKind == JsonValueKind.Number ? root.GetProperty("micros").GetInt64() : 0,
                price.ValueKind == JsonValueKind.Number ? price.GetInt64() : null,
                root.GetProperty("scope").EnumerateArray().Select(s => s.GetString()!).ToHashSet(StringComparer.Ordinal));
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            return false;
        }
    }
}

[Flags]
public enum ListingChangeKinds
{
    None = 0,
    /// <summary>Listed or not (status, price set or cleared, categories, creation time).</summary>
    Membership = 1,
    /// <summary>Flipped between in stock and sold out.</summary>
    Stock = 2,
    Price = 4,
    Title = 8,
    /// <summary>Slug, first image or tags: shown on the card, no effect on order or filters.</summary>
    Card = 16,
}

/// <summary>What a cached listing page shows: its filters, and the stretch of its sort order it covers (keys
/// inclusive, null = open). A changed product can only alter a page that lists it or that it can now enter.</summary>
public sealed record ListingPageInfo(string? Category, long? MinPrice, long? MaxPrice, bool InStockOnly, string Sort,
    long? FromKey, long? ThroughKey, IReadOnlyCollection<Guid> ProductIds)
{
    /// <summary>Could the product, as it is now, appear on this page? Title order is compared nowhere but in
    /// PostgreSQL (its collation), so any title-sorted page whose filters match says yes.</summary>
    public bool CanEnter(ListingChange change)
    {
        if (!change.Listed || (Category is not null && !change.Scope.Contains(Category)) || (InStockOnly && !change.InStock))
        {
            return false;
        }
        if (change.Price is not { } price || price < MinPrice || price > MaxPrice)
        {
            return false;
        }
        var (key, descending) = Sort switch
        {
            "price_asc" => (price, false),
            "price_desc" => (price, true),
            "newest" => (change.CreatedMicros, true),
            _ => ((long?)null, false),
        };
        if (key is not { } k)
        {
            return true;
        }
        return descending
            ? (FromKey is null || k <= FromKey) && (ThroughKey is null || k >= ThroughKey)
            : (FromKey is null || k >= FromKey) && (ThroughKey is null || k <= ThroughKey);
    }

    /// <summary>Does the change alter this page: does the page list the product (its id, the look-ahead row's
    /// included), or can the change bring the product onto it?</summary>
    public bool IsAlteredBy(ListingChange change)
    {
        if (ProductIds.Contains(change.ProductId))
        {
            return true;
        }
        // What can bring a product onto a page it was not on: a flip only into in-stock views, a new price only
        // into price-sorted or price-filtered pages, a new title only into title-sorted ones; a card edit nowhere.
        var moves = ListingChangeKinds.Membership
            | (InStockOnly ? ListingChangeKinds.Stock : 0)
            | (Sort.StartsWith("price", StringComparison.Ordinal) || MinPrice is not null || MaxPrice is not null ? ListingChangeKinds.Price : 0)
            | (Sort == "title" ? ListingChangeKinds.Title : 0);
        return (change.Kinds & moves) != 0 && CanEnter(change);
    }
}
