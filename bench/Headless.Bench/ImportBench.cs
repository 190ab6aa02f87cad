using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Headless.Api.Platform.Hosting;
using Headless.Api.Platform.Security;
using Npgsql;

namespace Headless.Bench;

/// <summary>
/// <c>./build.sh bench --only=import</c>: the Shopify product CSV import end to end. Generates a file of
/// <see cref="BenchOptions.ImportProducts"/> products × <see cref="VariantsPerProduct"/> variants (Shopify's
/// layout: the product's fields on its first row, follow-up rows with only the handle and the variant), posts
/// it to a fresh empty database's API and times POST → job succeeded (rows/s); then the same file again (every
/// product unchanged: the re-import path) and the export of the whole catalog back. The database is its own
/// (<c>headless_bench_import</c>, recreated each run), so the 100,000-product catalog is neither needed nor
/// touched.
/// </summary>
internal sealed class ImportBench(BenchOptions options)
{
    public const string StartMarker = "<!-- bench:import -->";
    public const string EndMarker = "<!-- /bench:import -->";
    public const int VariantsPerProduct = 5;
    public const int DefaultProducts = 20_000;
    private const string DatabaseName = "headless_bench_import";
    private static readonly string[] Sizes = ["XS", "S", "M", "L", "XL"];

    private sealed record Timing(string Job, double Seconds, double ApplySeconds, JsonElement Result);

    public async Task RunAsync(BenchDatabase db, string apiDll, string logDirectory, string code, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var products = options.ImportProducts;
        Log.Step($"CSV import: {products:N0} products × {VariantsPerProduct} variants into a fresh database {DatabaseName}");
        var logins = await db.CreateScratchAsync(DatabaseName, ct);
        var csv = Generate(products);
        Log.Info($"Generated {products * VariantsPerProduct:N0} rows, {csv.Length / 1024.0 / 1024.0:F1} MiB.");

        await using var api = await ApiProcess.StartAsync(apiDll, logins.App, readCache: true, Path.Combine(logDirectory, "api-import.log"), ct);
        string secret;
        await using (var conn = new NpgsqlConnection(logins.Owner))
        {
            await conn.OpenAsync(ct);
            secret = (await ApiKeys.IssueAsync(conn, "bench-import", Scopes.All)).Secret;
        }
        using var http = new HttpClient { BaseAddress = api.Http.BaseAddress, Timeout = TimeSpan.FromMinutes(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);

        var first = await ImportAsync(http, csv, "import into an empty catalog", ct);
        Expect(first, "created", products);
        var again = await ImportAsync(http, csv, "the same file again (nothing changes)", ct);
        Expect(again, "unchanged", products);

        var export = Stopwatch.StartNew();
        using var response = await http.GetAsync("/api/v1/admin/exports/products", HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new BenchFailure($"The export answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        }
        var exported = await response.Content.ReadAsByteArrayAsync(ct);
        var exportSeconds = export.Elapsed.TotalSeconds;
        var exportRows = Encoding.UTF8.GetString(exported).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1;
        Log.Info($"export: {exportRows:N0} rows ({exported.Length / 1024.0 / 1024.0:F1} MiB) in {exportSeconds:F2} s");

        var markdown = Markdown(started, clock.Elapsed, code, db.Description, products, csv.Length, [first, again], exportSeconds, exportRows, exported.Length);
        if (!options.WritesDocs || products != DefaultProducts)
        {
            var quickPath = Path.Combine(logDirectory, "quick-import-result.md");
            await File.WriteAllTextAsync(quickPath, markdown, CancellationToken.None);
            Log.Step($"A trial, other-size or other-build run: docs/benchmarks.md left alone; the import section is in {quickPath}.");
        }
        else
        {
            var docs = Path.Combine(RepoPaths.Root, "docs", "benchmarks.md");
            BenchReport.WriteInto(docs, markdown, StartMarker, EndMarker);
            Log.Step($"Wrote the import results to {docs}.");
        }
    }

    /// <summary>POST → job finished, polled every 100 ms (the resolution of the end-to-end figure); the apply
    /// time is the server's own (started → finished).</summary>
    private static async Task<Timing> ImportAsync(HttpClient http, byte[] csv, string title, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var content = new ByteArrayContent(csv);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        using var posted = await http.PostAsync("/api/v1/admin/imports/products", content, ct);
        if (posted.StatusCode != HttpStatusCode.Accepted)
        {
            throw new BenchFailure($"The import answered {(int)posted.StatusCode}: {await posted.Content.ReadAsStringAsync(ct)}");
        }
        var id = JsonDocument.Parse(await posted.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("id").GetString();
        while (true)
        {
            using var polled = await http.GetAsync($"/api/v1/admin/imports/{id}", ct);
            var job = JsonDocument.Parse(await polled.Content.ReadAsStringAsync(ct)).RootElement;
            var status = job.GetProperty("status").GetString();
            if (status is "succeeded")
            {
                var seconds = clock.Elapsed.TotalSeconds;
                var apply = (job.GetProperty("finishedAt").GetDateTimeOffset() - job.GetProperty("startedAt").GetDateTimeOffset()).TotalSeconds;
                var result = job.GetProperty("result").Clone();
                Log.Info($"{title}: {seconds:F2} s end to end ({apply:F2} s in the job), {result.GetRawText()}");
                return new Timing(title, seconds, apply, result);
            }
            if (status is "failed" or "cancelled")
            {
                throw new BenchFailure($"The import job {id} {status}: {job.GetRawText()[..Math.Min(2000, job.GetRawText().Length)]}");
            }
            await Task.Delay(100, ct);
        }
    }

    private static void Expect(Timing timing, string count, int products)
    {
        if (!timing.Result.TryGetProperty(count, out var n) || n.GetInt32() != products)
        {
            throw new BenchFailure($"{timing.Job}: expected {products:N0} {count} products, the job says {timing.Result.GetRawText()}.");
        }
    }

    /// <summary>A Shopify export as merchants produce it: quoted HTML bodies with commas, tags, one option
    /// (Size), five variants per product, stock on every row, an image on the first.</summary>
    private static byte[] Generate(int products)
    {
        var sb = new StringBuilder(products * VariantsPerProduct * 200);
        sb.Append("Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,Variant SKU,Variant Grams,"
            + "Variant Inventory Qty,Variant Price,Variant Compare At Price,Image Src,Image Position,Image Alt Text,SEO Title,SEO Description,Status\n");
        var inv = CultureInfo.InvariantCulture;
        for (var p = 0; p < products; p++)
        {
            var handle = $"bench-import-{p:D6}";
            for (var v = 0; v < VariantsPerProduct; v++)
            {
                var price = 500 + ((p * 7 + v * 100) % 9500);
                sb.Append(inv, $"{handle},");
                if (v == 0)
                {
                    sb.Append(inv, $"Bench Linen Shirt {p},\"<p>Soft, breathable linen, number {p}.</p><ul><li>Washed</li><li>Undyed</li></ul>\",Weaver Co,Shirts,\"linen, bench\",TRUE,Size,");
                }
                else
                {
                    sb.Append(",,,,,,,");
                }
                sb.Append(inv, $"{Sizes[v]},BI-{p:D6}-{Sizes[v]},{200 + v * 10},{(p + v) % 40},{price / 100}.{price % 100:D2},");
                sb.Append(v == 0
                    ? $",https://cdn.example.com/bench/{p}.jpg,1,Linen shirt {p},Linen shirt {p},\"Linen shirt {p}, washed.\",active\n"
                    : ",,,,,,\n");
            }
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static string Markdown(DateTime started, TimeSpan took, string code, string database, int products, int bytes,
        List<Timing> imports, double exportSeconds, int exportRows, int exportBytes)
    {
        var inv = CultureInfo.InvariantCulture;
        var rows = products * VariantsPerProduct;
        var sb = new StringBuilder();
        sb.AppendLine(StartMarker);
        sb.AppendLine("## CSV import and export (Shopify product CSV)");
        sb.AppendLine();
        sb.Append(inv, $"Measured {started:yyyy-MM-dd HH:mm} UTC in {took.TotalMinutes:F1} min, code {code}, on {Environment.ProcessorCount} cores; ");
        sb.Append(inv, $"{database.Replace(BenchDatabase.DatabaseName, DatabaseName, StringComparison.Ordinal)}, empty before the first import. A generated file of ");
        sb.Append(inv, $"{products:N0} products × {VariantsPerProduct} variants = {rows:N0} rows ({bytes / 1024.0 / 1024.0:F1} MiB), posted as text/csv with an API key; ");
        sb.AppendLine("end to end = POST → job succeeded (polled every 100 ms); in the job = the job's own start → finish (validate the whole file, then 50 products per transaction, multi-row statements per product).");
        sb.AppendLine();
        sb.AppendLine("| run | end to end | in the job | rows/s (end to end) | result |");
        sb.AppendLine("|---|---:|---:|---:|---|");
        foreach (var t in imports)
        {
            sb.AppendLine(inv, $"| {t.Job} | {t.Seconds:F1} s | {t.ApplySeconds:F1} s | {rows / t.Seconds:N0} | `{t.Result.GetRawText()}` |");
        }
        sb.AppendLine(inv, $"| export (GET /api/v1/admin/exports/products, streamed) | {exportSeconds:F1} s | | {exportRows / exportSeconds:N0} | {exportRows:N0} rows, {exportBytes / 1024.0 / 1024.0:F1} MiB |");
        sb.AppendLine(EndMarker);
        return sb.ToString();
    }
}
