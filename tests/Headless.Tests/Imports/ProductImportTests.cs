using System.Net;
using System.Text;
using System.Text.Json;
using Dapper;
using Headless.Contracts.Admin;
using Headless.Tests.Infrastructure;
using static Headless.Tests.Imports.ShopifyCsv;

namespace Headless.Tests.Imports;

/// <summary>The Shopify product CSV import through the API, applied by the job runner, on a real PostgreSQL.</summary>
public sealed class ProductImportTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _admin = api.Admin();

    /// <summary>A two-variant product with two options and a quoted body, an image-only row, and a product
    /// without options (Shopify's "Default Title").</summary>
    private static string Catalog(string prefix, string woolPrice = "24.50", string woolTitle = "Wool Socks") => File(
    [
        Row(("Handle", $"{prefix}-wool-socks"), ("Title", woolTitle), ("Body (HTML)", "<p>Warm, soft \"merino\" socks.\nTwo lines.</p><script>alert(1)</script>"),
            ("Vendor", "Sock Co"), ("Type", "Socks"), ("Tags", "Eco Friendly, winter"), ("Published", "TRUE"),
            ("Option1 Name", "Size"), ("Option1 Value", "M"), ("Option2 Name", "Colour"), ("Option2 Value", "Grey"),
            ("Variant SKU", $"{prefix.ToUpperInvariant()}-SOCK-M"), ("Variant Grams", "120"), ("Variant Inventory Qty", "7"),
            ("Variant Price", woolPrice), ("Variant Compare At Price", "29.00"),
            ("Image Src", "https://cdn.example.com/socks-1.jpg"), ("Image Position", "1"), ("Image Alt Text", "Grey socks, folded"),
            ("SEO Title", "Merino socks"), ("SEO Description", "Warm socks, made to last."), ("Status", "active")),
        // A follow-up row: product fields and option names empty, as Shopify writes them.
        Row(("Handle", $"{prefix}-wool-socks"), ("Option1 Value", "L"), ("Option2 Value", "Grey"),
            ("Variant SKU", $"{prefix.ToUpperInvariant()}-SOCK-L"), ("Variant Grams", "130"), ("Variant Inventory Qty", "3"), ("Variant Price", "25")),
        // An image-only row.
        Row(("Handle", $"{prefix}-wool-socks"), ("Image Src", "https://cdn.example.com/socks-2.jpg"), ("Image Position", "2"), ("Image Alt Text", "Worn")),
        Row(("Handle", $"{prefix}-soap"), ("Title", "Olive Soap, 100 g"), ("Published", "FALSE"), ("Option1 Name", "Title"), ("Option1 Value", "Default Title"),
            ("Variant SKU", $"{prefix.ToUpperInvariant()}-SOAP"), ("Variant Price", "4.9"), ("Status", "draft")),
    ]);

    private async Task<int> OutboxCountAsync()
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<int>("select count(*)::int from outbox");
    }

    private sealed class ProductRow
    {
        public Guid Id { get; init; }
        public string Title { get; init; } = "";
        public string Description { get; init; } = "";
        public string Status { get; init; } = "";
        public string Vendor { get; init; } = "";
        public string Product_Type { get; init; } = "";
        public string[] Tags { get; init; } = [];
        public string[] Option_Names { get; init; } = [];
        public string? Seo_Title { get; init; }
        public int Version { get; init; }
        public string Images { get; init; } = "";
    }

    private sealed record VariantRow(string Sku, string Title, string Options, long Price_Amount, long? Compare_At_Minor, int Weight_Grams, string Status,
        int Position, int On_Hand, int Version);

    private async Task<ProductRow?> ProductAsync(string slug)
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        return await conn.QuerySingleOrDefaultAsync<ProductRow>("""
            select id, title, description, status, vendor, product_type, tags, option_names, seo_title, version, images::text as images
            from products where slug = @slug
            """, new { slug });
    }

    private async Task<List<VariantRow>> VariantsAsync(string slug)
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        return (await conn.QueryAsync<VariantRow>("""
            select v.sku, v.title, v.options::text as options, v.price_amount, v.compare_at_minor, v.weight_grams, v.status, v.position, i.on_hand, v.version
            from variants v join products p on p.id = v.product_id join inventory i on i.sku = v.sku
            where p.slug = @slug order by v.position
            """, new { slug })).ToList();
    }

    [Fact]
    public async Task A_shopify_file_with_a_BOM_quoted_newlines_follow_up_and_image_only_rows_is_imported()
    {
        var job = await ImportAsync(_admin, Catalog("a"), bom: true);

        Assert.True(job.Status == "succeeded", JsonSerializer.Serialize(job.Errors));
        Assert.Equal((2, 2, 0, 100), (job.Total!.Value, job.Succeeded, job.Failed, job.Percent!.Value));
        Assert.Equal(2, job.Result!.Value.GetProperty("created").GetInt32());

        var socks = (await ProductAsync("a-wool-socks"))!;
        Assert.Equal(("Wool Socks", "active", "Sock Co", "Socks", "Merino socks"), (socks.Title, socks.Status, socks.Vendor, socks.Product_Type, socks.Seo_Title));
        Assert.Equal("<p>Warm, soft \"merino\" socks.\nTwo lines.</p>", socks.Description); // sanitised: the script is gone
        Assert.Equal(["eco-friendly", "winter"], socks.Tags);
        Assert.Equal(["Size", "Colour"], socks.Option_Names);
        var images = JsonDocument.Parse(socks.Images).RootElement;
        Assert.Equal(["https://cdn.example.com/socks-1.jpg", "https://cdn.example.com/socks-2.jpg"], images.EnumerateArray().Select(i => i.GetProperty("url").GetString()));
        Assert.Equal("Worn", images[1].GetProperty("alt").GetString());

        var variants = await VariantsAsync("a-wool-socks");
        Assert.Equal(["A-SOCK-M", "A-SOCK-L"], variants.Select(v => v.Sku));
        Assert.Equal((2450L, 2900L, 120, 7, "M / Grey"), (variants[0].Price_Amount, variants[0].Compare_At_Minor!.Value, variants[0].Weight_Grams, variants[0].On_Hand, variants[0].Title));
        Assert.Equal((2500L, (long?)null, 3), (variants[1].Price_Amount, variants[1].Compare_At_Minor, variants[1].On_Hand));
        Assert.Equal("L", JsonDocument.Parse(variants[1].Options).RootElement.GetProperty("Size").GetString());

        var soap = (await ProductAsync("a-soap"))!;
        Assert.Equal(("Olive Soap, 100 g", "draft"), (soap.Title, soap.Status));
        Assert.Empty(soap.Option_Names);
        var soapVariant = Assert.Single(await VariantsAsync("a-soap"));
        Assert.Equal((490L, "{}", 0), (soapVariant.Price_Amount, soapVariant.Options, soapVariant.On_Hand));

        await using var conn = await api.Db.OpenConnectionAsync();
        Assert.Equal(1, await conn.ExecuteScalarAsync<int>("select count(*)::int from outbox where topic = 'product.created' and aggregate_id = @id", new { id = socks.Id.ToString() }));
        Assert.Equal(1, await conn.ExecuteScalarAsync<int>("select count(*)::int from audit_log where action = 'product.created' and entity_id = @id", new { id = socks.Id.ToString() }));
        Assert.Equal("CSV import", await conn.ExecuteScalarAsync<string>("select reason from stock_movements where sku = 'A-SOCK-M' order by id desc limit 1"));
    }

    [Fact]
    public async Task Importing_the_same_file_again_changes_nothing()
    {
        var csv = Catalog("b");
        Assert.Equal("succeeded", (await ImportAsync(_admin, csv)).Status);
        var before = (await ProductAsync("b-wool-socks"))!;
        var variantsBefore = await VariantsAsync("b-wool-socks");
        var outbox = await OutboxCountAsync();

        var again = await ImportAsync(_admin, csv);

        Assert.Equal("succeeded", again.Status);
        Assert.Equal((0, 0, 2), (again.Result!.Value.GetProperty("created").GetInt32(), again.Result.Value.GetProperty("updated").GetInt32(),
            again.Result.Value.GetProperty("unchanged").GetInt32()));
        Assert.Equal(before.Version, (await ProductAsync("b-wool-socks"))!.Version);
        Assert.Equal(variantsBefore, await VariantsAsync("b-wool-socks"));
        Assert.Equal(outbox, await OutboxCountAsync());
    }

    [Fact]
    public async Task An_edited_file_updates_by_handle_and_sku()
    {
        Assert.Equal("succeeded", (await ImportAsync(_admin, Catalog("c"))).Status);
        var before = (await ProductAsync("c-wool-socks"))!;

        // New title and price for SOCK-M, SOCK-L gone, a new SKU, stock changed.
        var edited = File(
        [
            Row(("Handle", "c-wool-socks"), ("Title", "Merino Wool Socks"), ("Body (HTML)", "<p>Warm, soft \"merino\" socks.\nTwo lines.</p>"),
                ("Vendor", "Sock Co"), ("Type", "Socks"), ("Tags", "eco-friendly, winter"), ("Option1 Name", "Size"), ("Option1 Value", "M"),
                ("Option2 Name", "Colour"), ("Option2 Value", "Grey"), ("Variant SKU", "C-SOCK-M"), ("Variant Grams", "120"), ("Variant Inventory Qty", "9"),
                ("Variant Price", "26.00"), ("Variant Compare At Price", "29.00"), ("Image Src", "https://cdn.example.com/socks-1.jpg"), ("Image Alt Text", "Grey socks, folded"),
                ("SEO Title", "Merino socks"), ("SEO Description", "Warm socks, made to last."), ("Status", "active")),
            Row(("Handle", "c-wool-socks"), ("Option1 Value", "S"), ("Option2 Value", "Blue"), ("Variant SKU", "C-SOCK-S-BLUE"), ("Variant Price", "23.00")),
        ]);
        var job = await ImportAsync(_admin, edited);

        Assert.True(job.Status == "succeeded", JsonSerializer.Serialize(job.Errors));
        Assert.Equal(1, job.Result!.Value.GetProperty("updated").GetInt32());
        var after = (await ProductAsync("c-wool-socks"))!;
        Assert.Equal(before.Id, after.Id);
        Assert.Equal("Merino Wool Socks", after.Title);
        Assert.Equal(before.Version + 1, after.Version);
        var variants = await VariantsAsync("c-wool-socks");
        var m = variants.Single(v => v.Sku == "C-SOCK-M");
        Assert.Equal((2600L, 9, "active"), (m.Price_Amount, m.On_Hand, m.Status));
        Assert.Equal("archived", variants.Single(v => v.Sku == "C-SOCK-L").Status);
        Assert.Equal("active", variants.Single(v => v.Sku == "C-SOCK-S-BLUE").Status);
        Assert.Single(JsonDocument.Parse(after.Images).RootElement.EnumerateArray());

        await using var conn = await api.Db.OpenConnectionAsync();
        Assert.Equal(1, await conn.ExecuteScalarAsync<int>("select count(*)::int from outbox where topic = 'product.updated' and aggregate_id = @id", new { id = after.Id.ToString() }));
        // The soap was not in the edited file: imports update what they list, they do not delete.
        Assert.NotNull(await ProductAsync("c-soap"));
    }

    [Fact]
    public async Task A_product_the_database_refuses_costs_only_that_product_of_its_transaction_chunk()
    {
        Assert.Equal("succeeded", (await ImportAsync(_admin, File([Row(("Handle", "k-held"), ("Title", "Held"), ("Variant SKU", "K-HELD"),
            ("Variant Inventory Qty", "10"), ("Variant Price", "5.00"))]))).Status);
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("update inventory set reserved = 6 where sku = 'K-HELD'");
        }
        var held = (await ProductAsync("k-held"))!;

        // Three products in one chunk (50 per transaction): the middle one sets stock below what is reserved.
        var job = await ImportAsync(_admin, File(
        [
            Row(("Handle", "k-before"), ("Title", "Before"), ("Variant SKU", "K-B1"), ("Variant Inventory Qty", "1"), ("Variant Price", "1.00")),
            Row(("Handle", "k-before"), ("Variant SKU", "K-B2"), ("Variant Inventory Qty", "2"), ("Variant Price", "2.00")),
            Row(("Handle", "k-held"), ("Title", "Held, renamed"), ("Variant SKU", "K-HELD"), ("Variant Inventory Qty", "2"), ("Variant Price", "5.00")),
            Row(("Handle", "k-after"), ("Title", "After"), ("Variant SKU", "K-A1"), ("Variant Inventory Qty", "3"), ("Variant Price", "3.00")),
        ]));

        var error = Assert.Single(job.Errors);
        Assert.Equal((4, "Variant Inventory Qty", "k-held"), (error.Row!.Value, error.Column, error.Item));
        Assert.Equal(2, job.Result!.Value.GetProperty("created").GetInt32());
        Assert.Equal(["K-B1", "K-B2"], (await VariantsAsync("k-before")).Select(v => v.Sku));
        Assert.Equal([3], (await VariantsAsync("k-after")).Select(v => v.On_Hand));
        var after = (await ProductAsync("k-held"))!;
        Assert.Equal(("Held", held.Version), (after.Title, after.Version));
        Assert.Equal([10], (await VariantsAsync("k-held")).Select(v => v.On_Hand));
    }

    [Fact]
    public async Task Every_bad_cell_is_reported_by_row_and_column_and_nothing_is_written()
    {
        var outbox = await OutboxCountAsync();
        var csv = File(
        [
            Row(("Handle", "d-good"), ("Title", "Good"), ("Option1 Name", "Size"), ("Option1 Value", "M"), ("Variant SKU", "D-1"), ("Variant Price", "10.00")),
            Row(("Handle", "d-good"), ("Option1 Value", "L"), ("Variant SKU", "D-2"), ("Variant Price", "10,50")),                      // row 3: bad price
            Row(("Handle", "d-good"), ("Option1 Value", "XL"), ("Option2 Value", "Red"), ("Variant SKU", "D-3"), ("Variant Price", "€5")), // row 4: unknown option, bad price
            Row(("Handle", "d-other"), ("Title", "Other"), ("Variant SKU", "D-1"), ("Variant Price", "3.999")),                         // row 5: duplicate SKU, too many decimals
            Row(("Handle", "d-third"), ("Title", "Third"), ("Variant SKU", "D-9"), ("Variant Price", "1"), ("Status", "published")),     // row 6: bad status
            Row(("Handle", "D Bad Handle"), ("Title", "x"), ("Variant SKU", "D-10"), ("Variant Price", "1")),                           // row 7: bad handle
            Row(("Handle", "d-fourth"), ("Variant SKU", "D-11"), ("Variant Price", "-2"), ("Variant Inventory Qty", "-1")),             // row 8: no title, negative price and stock
        ]);

        var job = await ImportAsync(_admin, csv);

        Assert.Equal("failed", job.Status);
        var cells = job.Errors.Where(e => e.Row is not null).Select(e => (e.Row!.Value, e.Column)).ToHashSet();
        Assert.Contains((3, "Variant Price"), cells);
        Assert.Contains((4, "Option2 Value"), cells);
        Assert.Contains((4, "Variant Price"), cells);
        Assert.Contains((5, "Variant SKU"), cells);
        Assert.Contains((5, "Variant Price"), cells);
        Assert.Contains((6, "Status"), cells);
        Assert.Contains((7, "Handle"), cells);
        Assert.Contains((8, "Title"), cells);
        Assert.Contains((8, "Variant Price"), cells);
        Assert.Contains((8, "Variant Inventory Qty"), cells);
        Assert.DoesNotContain(cells, c => c.Value == 2);
        Assert.Contains("d-good", job.Errors.Single(e => e.Row == 5 && e.Column == "Variant SKU").Message);
        Assert.Contains("nothing was imported", job.Errors[^1].Message);
        Assert.Equal(job.Errors.Count, job.ErrorCount);

        Assert.Null(await ProductAsync("d-good"));
        Assert.Null(await ProductAsync("d-third"));
        Assert.Equal(outbox, await OutboxCountAsync());
    }

    [Fact]
    public async Task A_wrong_header_is_reported_on_row_1()
    {
        var header = Header.Select(h => h == "Variant Price" ? "Price" : h).ToArray();
        var job = await ImportAsync(_admin, File([Row(("Handle", "e-x"), ("Title", "X"), ("Variant SKU", "E-1"), ("Price", "1.00"))], header));

        Assert.Equal("failed", job.Status);
        var error = job.Errors.First();
        Assert.Equal((1, "Variant Price"), (error.Row!.Value, error.Column));
        Assert.Null(await ProductAsync("e-x"));
    }

    [Fact]
    public async Task Unknown_columns_are_ignored_and_named()
    {
        var header = Header.Append("Variant Barcode").Append("Gift Card").ToArray();
        var job = await ImportAsync(_admin, File([Row(("Handle", "f-x"), ("Title", "X"), ("Variant SKU", "F-1"), ("Variant Price", "1.00"), ("Gift Card", "FALSE"))], header));

        Assert.Equal("succeeded", job.Status);
        Assert.Equal(["Variant Barcode", "Gift Card"], job.Result!.Value.GetProperty("ignoredColumns").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public async Task A_sku_that_belongs_to_another_product_in_the_catalog_is_refused()
    {
        Assert.Equal("succeeded", (await ImportAsync(_admin, File([Row(("Handle", "g-first"), ("Title", "First"), ("Variant SKU", "G-1"), ("Variant Price", "1.00"))]))).Status);

        var job = await ImportAsync(_admin, File(
        [
            Row(("Handle", "g-second"), ("Title", "Second"), ("Variant SKU", "G-2"), ("Variant Price", "1.00")),
            Row(("Handle", "g-second"), ("Variant SKU", "G-1"), ("Variant Price", "1.00")),
        ]));

        Assert.Equal("failed", job.Status);
        var error = job.Errors.First();
        Assert.Equal((3, "Variant SKU"), (error.Row!.Value, error.Column));
        Assert.Contains("g-first", error.Message);
        Assert.Null(await ProductAsync("g-second"));
    }

    [Fact]
    public async Task A_file_that_is_not_utf8_fails_with_a_clear_message()
    {
        var latin1 = Encoding.Latin1.GetBytes(File([Row(("Handle", "h-x"), ("Title", "Café"), ("Variant SKU", "H-1"), ("Variant Price", "1.00"))]));
        var queued = await (await PostAsync(_admin, latin1)).ReadAsync<Job>(HttpStatusCode.Accepted);
        var job = await WaitAsync(_admin, queued.Id);

        Assert.Equal("failed", job.Status);
        Assert.Contains("UTF-8", job.Errors.First().Message);
    }

    [Fact]
    public async Task Bad_uploads_are_refused_before_a_job_is_queued()
    {
        await (await PostAsync(_admin, [])).ProblemAsync(HttpStatusCode.BadRequest);
        await (await PostAsync(_admin, [0x50, 0x4B, 0x03, 0x04, 0x00, 0x00, 0x01])).ProblemAsync(HttpStatusCode.UnsupportedMediaType);
        await (await PostAsync(_admin, Encoding.UTF8.GetBytes("{}"), "application/json")).ProblemAsync(HttpStatusCode.UnsupportedMediaType);
        using var form = new MultipartFormDataContent { { new StringContent("x"), "notfile" } };
        await (await _admin.PostAsync("/api/v1/admin/imports/products", form)).ProblemAsync(HttpStatusCode.BadRequest);
        await (await _admin.GetAsync($"/api/v1/admin/imports/{Guid.NewGuid()}")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_multipart_upload_is_imported()
    {
        var bytes = Encoding.UTF8.GetBytes(File([Row(("Handle", "i-x"), ("Title", "X"), ("Variant SKU", "I-1"), ("Variant Price", "2.00"))]));
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", "products.csv");
        var queued = await (await _admin.PostAsync("/api/v1/admin/imports/products", form)).ReadAsync<Job>(HttpStatusCode.Accepted);

        Assert.Equal("succeeded", (await WaitAsync(_admin, queued.Id)).Status);
        Assert.NotNull(await ProductAsync("i-x"));
        // The import is a job like any other: listed newest first.
        var page = await (await _admin.GetAsync("/api/v1/admin/jobs?kind=product-import&limit=100")).ReadAsync<JobPage>();
        Assert.Contains(page.Items, j => j.Id == queued.Id);
    }
}
