namespace Headless.Contracts.Admin;

/// <summary>A product's uploaded images in the order the shop shows them, each with its alt text.</summary>
public sealed record ProductImagesRequest(List<ProductImageOrder>? Images);

public sealed record ProductImageOrder(Guid? Id, string? Alt);
