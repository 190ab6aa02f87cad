namespace Headless.Storefront.Rendering;

// The shapes the templates see, under snake_case names (InStock is in_stock). Plain data, computed once
// per page; every value a template prints is HTML-escaped (HtmlTemplateContext).

public sealed class SiteVm
{
    public required string Name { get; init; }
    public required string BaseUrl { get; init; }
    public required string Css { get; init; }
    public required IReadOnlyList<LinkVm> Nav { get; init; }
    public required IReadOnlyDictionary<string, string> Scripts { get; init; }
    public required string Year { get; init; }
    public bool TestMode { get; init; }
}

public sealed class PageVm
{
    public required string Title { get; init; }
    public string Description { get; init; } = "";
    public required string Url { get; init; }
    public string? Script { get; init; }
    public bool NoIndex { get; init; }
    public string BodyClass { get; init; } = "";
    public string? JsonLd { get; init; }
}

public sealed record LinkVm(string Name, string Url, bool Current = false);

public sealed class ImageVm
{
    public required string Src { get; init; }
    public required string Alt { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    public bool Lazy { get; init; } = true;

    /// <summary>The LCP image: fetched first (fetchpriority="high"), never lazy.</summary>
    public bool Priority { get; init; }

    /// <summary>For uploaded images: the JPEG in every width, the display widths, and the AVIF and WebP sources.</summary>
    public string? Srcset { get; init; }
    public string? Sizes { get; init; }
    public IReadOnlyList<SourceVm> Sources { get; init; } = [];
}

public sealed record SourceVm(string Type, string Srcset);

public sealed class CardVm
{
    public required string Url { get; init; }
    public required string Title { get; init; }
    public required string Price { get; init; }
    public required bool InStock { get; init; }
    public required ImageVm Image { get; init; }
}

public sealed class VariantVm
{
    public required string Id { get; init; }
    public required string Sku { get; init; }
    public required string Title { get; init; }
    public required string Price { get; init; }
    public required long Amount { get; init; }
    /// <summary>The compare-at ("was") price, or "" when there is none.</summary>
    public string CompareAt { get; init; } = "";
    public required bool InStock { get; init; }
    public required int Available { get; init; }
    public bool Checked { get; init; }
}

public sealed class ProductVm
{
    public required string Id { get; init; }
    public required string Slug { get; init; }
    public required string Title { get; init; }
    public required IReadOnlyList<string> Paragraphs { get; init; }
    /// <summary>An imported HTML description, sanitised at render (<see cref="DescriptionHtml"/>); null for plain text, shown as <see cref="Paragraphs"/>.</summary>
    public RawHtml? DescriptionHtml { get; init; }
    public required string Price { get; init; }
    /// <summary>The cheapest variant's compare-at ("was") price, or "" when it has none.</summary>
    public string CompareAt { get; init; } = "";
    public required bool InStock { get; init; }
    public required string StockText { get; init; }
    public required ImageVm Image { get; init; }
    public required IReadOnlyList<ImageVm> Thumbnails { get; init; }
    public required IReadOnlyList<VariantVm> Variants { get; init; }
    public required IReadOnlyList<LinkVm> Breadcrumbs { get; init; }
    public required IReadOnlyList<string> Tags { get; init; }
    public required string Version { get; init; }
}

public sealed class ListingVm
{
    public required string Name { get; init; }
    public required string Description { get; init; }
    public required IReadOnlyList<LinkVm> Breadcrumbs { get; init; }
    public required IReadOnlyList<LinkVm> Subcategories { get; init; }
    public required IReadOnlyList<CardVm> Products { get; init; }
    public required int Total { get; init; }
    public required int PageNumber { get; init; }
    public required int PageCount { get; init; }
    public string? PrevUrl { get; init; }
    public string? NextUrl { get; init; }
    public required IReadOnlyList<LinkVm> Pages { get; init; }
}

public sealed class HomeVm
{
    public required IReadOnlyList<CategoryTileVm> Categories { get; init; }
    public required IReadOnlyList<CardVm> Featured { get; init; }
    public required IReadOnlyList<CardVm> Newest { get; init; }
}

public sealed record CategoryTileVm(string Name, string Url, string Description, int Count);
