namespace Headless.Api.Features.Catalog;

public sealed class CatalogOptions
{
    public const string Section = "Headless:Catalog";

    /// <summary>ISO 4217 code of the currency every catalog price is in.</summary>
    public string Currency { get; set; } = "EUR";

    /// <summary>Load the demo catalog into an empty database at start.</summary>
    public bool LoadDemoCatalog { get; set; } = true;

    public int DemoProductCount { get; set; } = 240;

    /// <summary>Draw a real image for each demo product after start, in the background (Demo/DemoProductImages).</summary>
    public bool DemoImages { get; set; } = true;

    /// <summary>Serve hot public reads from the in-process cache. Off only to measure what it saves.</summary>
    public bool ReadCache { get; set; } = true;

    /// <summary>How long a listing page a change dropped may still be served while one request refreshes it
    /// (stale-while-revalidate under load), in milliseconds. 0: never serve a dropped page.</summary>
    public int ListingStaleMilliseconds { get; set; } = 2000;
}
