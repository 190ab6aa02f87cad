namespace Headless.Api.Features.Catalog.Imports;

/// <summary>Limits of the CSV import, from `Headless:Imports`.</summary>
public sealed class ImportOptions
{
    public const string Section = "Headless:Imports";

    /// <summary>The largest file accepted (default 40 MiB: about 150,000 variant rows of a typical Shopify
    /// export; Shopify's own import stops at 15 MB). The whole file is held in memory while it is read.</summary>
    public long MaxFileBytes { get; set; } = 40 * 1024 * 1024;

    /// <summary>Products applied per transaction (default 50). Larger chunks commit less often but hold the
    /// audit chain's head row longer, which other staff writes wait for (a chunk of 50 takes tens of ms).</summary>
    public int ProductsPerTransaction { get; set; } = 50;
}
