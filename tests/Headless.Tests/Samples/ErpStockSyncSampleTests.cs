using System.Net.Http.Json;
using Headless.Api.Platform.Security;
using Headless.Contracts.Admin;
using Headless.Samples.ErpStockSync;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Samples;

/// <summary>The API on Kestrel at a real port of this session's range (26500-26599), for samples that call it
/// over HTTP the way a third party's program does.</summary>
public sealed class LiveApi : ApiFactory, IAsyncLifetime
{
    public LiveApi() => UseKestrel(26510);

    /// <summary>http://127.0.0.1:port, no trailing slash.</summary>
    public string BaseUrl { get; private set; } = "";

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address).GetLeftPart(UriPartial.Authority).Replace("localhost", "127.0.0.1", StringComparison.Ordinal);
    }
}

/// <summary>samples/erp-stock-sync, run with its own command line against the live API with a catalog-scoped key.</summary>
public sealed class ErpStockSyncSampleTests(LiveApi api) : IClassFixture<LiveApi>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("headless-erp-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(int Exit, string Log)> RunAsync(params string[] args)
    {
        var log = new StringWriter();
        var exit = await SyncCommand.RunAsync(args, _ => null, log, CancellationToken.None);
        return (exit, log.ToString());
    }

    private async Task<string> CatalogKeyAsync()
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        return (await ApiKeys.IssueAsync(conn, "ERP stock sync", [Scopes.Catalog])).Secret;
    }

    [Fact]
    public async Task Mirrors_stock_per_sku_into_a_csv_and_resumes_from_its_cursor()
    {
        var admin = api.Admin();
        var a = await admin.CreateProductAsync(CatalogSeed.Product(variants: [CatalogSeed.Variant("ERP-A-S", stock: 10, size: "S"), CatalogSeed.Variant("ERP-A-M", stock: 4)]));
        var b = await admin.CreateProductAsync(CatalogSeed.Product(variants: CatalogSeed.Variant("ERP-B", stock: 7)));
        var csv = Path.Combine(_dir, "stock.csv");
        var key = await CatalogKeyAsync();
        string[] Sync() => ["--base-url=" + api.BaseUrl, "--api-key=" + key, "--out=" + csv, "--once"];

        var (exit, log) = await RunAsync(Sync());
        Assert.True(exit == 0, log);
        Assert.Contains("snapshot of 3 SKUs", log);
        Assert.Equal(
            ["sku,product_id,on_hand,reserved,available", $"ERP-A-M,{a.Id},4,0,4", $"ERP-A-S,{a.Id},10,0,10", $"ERP-B,{b.Id},7,0,7"],
            File.ReadAllLines(csv));
        var firstCursor = File.ReadAllText(csv + ".cursor");

        // A row the feed will not mention again: if the next run re-read everything instead of resuming from
        // its cursor, it would put ERP-B back to 7.
        File.WriteAllLines(csv, File.ReadAllLines(csv).Select(l => l.StartsWith("ERP-B,", StringComparison.Ordinal) ? $"ERP-B,{b.Id},999,0,999" : l));
        (await admin.PostAsJsonAsync("/api/v1/admin/inventory/ERP-A-S/adjustments", new AdjustStockRequest(-7, "ERP test sale"), Http.Json)).EnsureSuccessStatusCode();
        var c = await admin.CreateProductAsync(CatalogSeed.Product(variants: CatalogSeed.Variant("ERP-C", stock: 5)));

        string[] expected = ["sku,product_id,on_hand,reserved,available", $"ERP-A-M,{a.Id},4,0,4", $"ERP-A-S,{a.Id},3,0,3", $"ERP-B,{b.Id},999,0,999", $"ERP-C,{c.Id},5,0,5"];
        // The feed hands out a change once every transaction that could commit before it has ended: run again until it has.
        await Eventually.WaitUntilAsync(async () =>
        {
            (exit, log) = await RunAsync(Sync());
            Assert.True(exit == 0, log);
            return File.ReadAllLines(csv).SequenceEqual(expected);
        }, TimeSpan.FromSeconds(20), "the resumed run mirrored the adjustment and the new product");
        Assert.Contains("Resuming from the saved cursor with", log);
        Assert.NotEqual(firstCursor, File.ReadAllText(csv + ".cursor"));
        Assert.False(File.Exists(csv + ".tmp"));

        // Caught up: another run changes nothing.
        (exit, log) = await RunAsync(Sync());
        Assert.Equal(0, exit);
        Assert.Equal(expected, File.ReadAllLines(csv));
    }

    [Fact]
    public async Task A_missing_key_prints_the_usage_and_a_wrong_key_fails_without_touching_the_mirror()
    {
        var csv = Path.Combine(_dir, "refused.csv");
        var (exit, log) = await RunAsync("--base-url=" + api.BaseUrl, "--out=" + csv, "--once");
        Assert.Equal(2, exit);
        Assert.Contains("usage: ErpStockSync", log);

        (exit, log) = await RunAsync("--base-url=" + api.BaseUrl, "--api-key=hk_not-a-key", "--out=" + csv, "--once");
        Assert.Equal(1, exit);
        Assert.Contains("The API answered 401", log);
        Assert.False(File.Exists(csv));
        Assert.False(File.Exists(csv + ".cursor"));
    }
}
