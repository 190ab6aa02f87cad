using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Headless.Contracts.Admin;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Imports;

/// <summary>Builds Shopify product CSV files for tests, and runs imports through the API.</summary>
public static class ShopifyCsv
{
    public static readonly string[] Header =
    [
        "Handle", "Title", "Body (HTML)", "Vendor", "Type", "Tags", "Published", "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value",
        "Option3 Name", "Option3 Value", "Variant SKU", "Variant Grams", "Variant Inventory Qty", "Variant Price", "Variant Compare At Price",
        "Image Src", "Image Position", "Image Alt Text", "SEO Title", "SEO Description", "Status",
    ];

    /// <summary>One row from column → value pairs (others empty).</summary>
    public static Dictionary<string, string> Row(params (string Column, string Value)[] cells) => cells.ToDictionary(c => c.Column, c => c.Value);

    public static string File(IEnumerable<Dictionary<string, string>> rows, string[]? header = null)
    {
        header ??= Header;
        var text = new StringBuilder();
        text.Append(string.Join(',', header.Select(Quote))).Append('\n');
        foreach (var row in rows)
        {
            text.Append(string.Join(',', header.Select(h => Quote(row.GetValueOrDefault(h, ""))))).Append('\n');
        }
        return text.ToString();
    }

    public static string Quote(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;

    public static async Task<HttpResponseMessage> PostAsync(HttpClient admin, byte[] content, string mediaType = "text/csv")
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return await admin.PostAsync("/api/v1/admin/imports/products", body);
    }

    /// <summary>Posts the file, expects 202, and waits until the job ends.</summary>
    public static async Task<Job> ImportAsync(HttpClient admin, string csv, bool bom = false)
    {
        var bytes = Encoding.UTF8.GetBytes(csv);
        if (bom)
        {
            bytes = [0xEF, 0xBB, 0xBF, .. bytes];
        }
        var queued = await (await PostAsync(admin, bytes)).ReadAsync<Job>(HttpStatusCode.Accepted);
        return await WaitAsync(admin, queued.Id);
    }

    public static async Task<Job> WaitAsync(HttpClient admin, Guid id)
    {
        Job job = null!;
        await Eventually.WaitUntilAsync(async () =>
        {
            job = await (await admin.GetAsync($"/api/v1/admin/imports/{id}")).ReadAsync<Job>();
            return job.Status is "succeeded" or "failed" or "cancelled";
        }, TimeSpan.FromSeconds(60), $"import {id} ends");
        return job;
    }
}
