using Headless.Contracts.Catalog;

namespace Headless.Api.Features.Catalog.Products;

/// <summary>A product as listings and search results show it, as read by Dapper.</summary>
// A class, not a positional record: Dapper maps text[] columns to properties but not to constructor parameters.
internal sealed class ProductSummaryRow
{
    public Guid Id { get; init; }
    public string Slug { get; init; } = null!;
    public string Title { get; init; } = null!;
    public string? ImageUrl { get; init; }
    public string? ImageAlt { get; init; }
    public int? ImageWidth { get; init; }
    public int? ImageHeight { get; init; }
    public string[] Tags { get; init; } = null!;
    public long? MinPrice { get; init; }
    public DateTime CreatedAt { get; init; }
    public bool InStock { get; init; }

    public ProductSummary ToSummary(string currency) => new(Id, Slug, Title,
        ImageUrl is null ? null : new ProductImage(ImageUrl, ImageAlt ?? "", ImageWidth ?? 0, ImageHeight ?? 0),
        Tags, MinPrice is { } price ? new Money(price, currency) : null, InStock, CreatedAt);
}
