using System.Diagnostics;
using System.Net;
using Dapper;
using Headless.Contracts.Catalog;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Images;

public sealed class ProductImageTests(ImageApiFactory api) : IClassFixture<ImageApiFactory>
{
    private readonly HttpClient _admin = api.Admin();

    private Task<ProductDetail> NewProductAsync() => _admin.CreateProductAsync(CatalogSeed.Product(variants: [CatalogSeed.Variant()]) with { Images = [] });

    private async Task<ProductDetail> ReadAsync(Guid id) => await (await _admin.GetAsync($"/api/v1/admin/products/{id}")).ReadAsync<ProductDetail>();

    [Fact]
    public async Task A_phone_jpeg_becomes_upright_avif_webp_and_jpeg_in_every_width_up_to_its_own_without_its_gps_or_artist()
    {
        var product = await NewProductAsync();
        var response = await _admin.UploadAsync(product, TestImages.PhoneJpeg(1600, 1200), "image/jpeg", alt: "Linen tote on a chair");

        var updated = await response.ReadAsync<ProductDetail>(HttpStatusCode.Created);
        Assert.Equal(AdminIfMatch.ETag(product.Version + 1), response.Headers.ETag!.ToString());
        var image = Assert.Single(updated.Images);
        Assert.NotNull(image.Id);
        Assert.Equal("Linen tote on a chair", image.Alt);
        // Stored 1600 × 1200 with orientation 6: upright it is 1200 × 1600, so widths 320, 640 and 960 (not 1280).
        Assert.Equal(["avif 320x427", "avif 640x853", "avif 960x1280", "jpeg 320x427", "jpeg 640x853", "jpeg 960x1280", "webp 320x427", "webp 640x853", "webp 960x1280"],
            image.Sources!.Select(s => $"{s.Format} {s.Width}x{s.Height}").Order(StringComparer.Ordinal));
        // url is the JPEG fallback at the middle width; width and height are that file's.
        Assert.Equal((640, 853), (image.Width, image.Height));
        Assert.Matches("^/images/products/[0-9a-f]{24}-640\\.jpg$", image.Url);

        foreach (var source in image.Sources!)
        {
            var file = Path.Combine(api.StoreDirectory, source.Url.TrimStart('/'));
            var (loader, width, height, privateExif, orientation) = TestImages.Describe(await File.ReadAllBytesAsync(file));
            Assert.StartsWith(source.Format switch { "avif" => "heif", "webp" => "webp", _ => "jpeg" }, loader, StringComparison.Ordinal);
            Assert.Equal((source.Width, source.Height), (width, height));
            Assert.False(privateExif, $"{source.Url} kept the artist or GPS position");
            Assert.Equal(1, orientation);
            Assert.DoesNotContain("Secretperson", System.Text.Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)), StringComparison.Ordinal);
        }

        // The shop sees it at once, and the change went to the outbox (caches, search and the storefront follow) and the audit log.
        var shop = await (await api.CreateClient().GetAsync($"/api/v1/products/{product.Slug}")).ReadAsync<ProductDetail>();
        Assert.Equal(image.Url, Assert.Single(shop.Images).Url);
        await using var conn = await api.Db.OpenConnectionAsync();
        Assert.Equal(1, await conn.ExecuteScalarAsync<int>("select count(*) from outbox where topic = 'product.updated' and aggregate_id = @id and payload->>'change' = 'product.image_added'", new { id = product.Id.ToString() }));
        Assert.Equal(1, await conn.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'product.image_added' and entity_id = @id", new { id = product.Id.ToString() }));
    }

    [Fact]
    public async Task A_png_with_transparency_from_a_form_and_a_webp_are_stored_in_all_three_formats()
    {
        var product = await NewProductAsync();
        var afterPng = await (await _admin.UploadFormAsync(product, TestImages.TransparentPng(700, 500), "image/png", "Beeswax wraps")).ReadAsync<ProductDetail>(HttpStatusCode.Created);
        var png = Assert.Single(afterPng.Images);
        Assert.Equal("Beeswax wraps", png.Alt);
        // 700 wide: 320 and 640, never above the original.
        Assert.Equal([320, 640], png.Sources!.Where(s => s.Format == "webp").Select(s => s.Width));

        var afterWebp = await (await _admin.UploadAsync(afterPng, TestImages.Webp(1000, 1000), "image/webp")).ReadAsync<ProductDetail>(HttpStatusCode.Created);
        Assert.Equal(2, afterWebp.Images.Count);
        Assert.Equal([320, 640, 960], afterWebp.Images[1].Sources!.Where(s => s.Format == "avif").Select(s => s.Width));
        foreach (var source in afterWebp.Images.SelectMany(i => i.Sources!))
        {
            Assert.True(File.Exists(Path.Combine(api.StoreDirectory, source.Url.TrimStart('/'))), source.Url);
        }
        // The JPEG fallback of the transparent PNG is flattened onto white; the WebP keeps the alpha channel.
        var jpeg = Path.Combine(api.StoreDirectory, png.Url.TrimStart('/'));
        Assert.Equal("jpegload_buffer", TestImages.Describe(await File.ReadAllBytesAsync(jpeg)).Loader);
        using var webp = NetVips.Image.NewFromFile(Path.Combine(api.StoreDirectory, png.Sources!.First(s => s.Format == "webp").Url.TrimStart('/')));
        Assert.True(webp.HasAlpha());
    }

    [Fact]
    public async Task The_type_is_sniffed_from_the_content_and_a_wrong_or_missing_image_stores_nothing()
    {
        var product = await NewProductAsync();
        var before = api.StoredFiles();

        var pngAsJpeg = await _admin.UploadAsync(product, TestImages.TransparentPng(), "image/jpeg");
        Assert.Equal(Problem("image-type-mismatch"), (await pngAsJpeg.ProblemAsync(HttpStatusCode.UnsupportedMediaType))["type"]!.GetValue<string>());

        var textAsJpeg = await _admin.UploadAsync(product, "just some text, not a picture"u8.ToArray(), "image/jpeg");
        Assert.Equal(Problem("unsupported-image-type"), (await textAsJpeg.ProblemAsync(HttpStatusCode.UnsupportedMediaType))["type"]!.GetValue<string>());

        var textPlain = await _admin.UploadAsync(product, "just some text"u8.ToArray(), "text/plain");
        await textPlain.ProblemAsync(HttpStatusCode.UnsupportedMediaType);

        var textInForm = await _admin.UploadFormAsync(product, "hello"u8.ToArray(), "text/plain", "x");
        await textInForm.ProblemAsync(HttpStatusCode.UnsupportedMediaType);

        var jpeg = TestImages.PhoneJpeg(800, 600);
        var truncated = await _admin.UploadAsync(product, jpeg[..(jpeg.Length / 2)], "image/jpeg");
        Assert.Equal(Problem("corrupt-image"), (await truncated.ProblemAsync(HttpStatusCode.UnprocessableEntity))["type"]!.GetValue<string>());

        var garbage = jpeg[..64].Concat(new byte[5000]).ToArray();
        await (await _admin.UploadAsync(product, garbage, "image/jpeg")).ProblemAsync(HttpStatusCode.UnprocessableEntity);

        var animated = await _admin.UploadAsync(product, TestImages.AnimatedWebp(), "image/webp");
        Assert.Equal(Problem("animated-image"), (await animated.ProblemAsync(HttpStatusCode.UnprocessableEntity))["type"]!.GetValue<string>());

        var empty = await _admin.UploadAsync(product, [], "image/png");
        await empty.ProblemAsync(HttpStatusCode.BadRequest);

        Assert.Equal(before, api.StoredFiles());
        Assert.Equal(product.Version, (await ReadAsync(product.Id)).Version);
    }

    [Fact]
    public async Task A_decompression_bomb_is_refused_from_its_header_without_decoding()
    {
        var product = await NewProductAsync();
        var bomb = TestImages.DecompressionBomb();
        Assert.True(bomb.Length < 1024 * 1024, $"the bomb is {bomb.Length} bytes");
        var before = api.StoredFiles();

        var clock = Stopwatch.StartNew();
        var response = await _admin.UploadAsync(product, bomb, "image/png");
        clock.Stop();

        var problem = await response.ProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(Problem("image-too-many-pixels"), problem["type"]!.GetValue<string>());
        Assert.Contains("20000 × 20000", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        // Decoding 400 megapixels would take seconds and at least 400 MB in libvips; reading the header takes neither.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
        Assert.True(NetVips.Stats.MemHighwater < 300L * 1024 * 1024, $"libvips memory peaked at {NetVips.Stats.MemHighwater / 1024 / 1024} MB");
        Assert.Equal(before, api.StoredFiles());
    }

    [Fact]
    public async Task An_image_over_the_size_limit_is_a_413_whether_sent_as_the_body_or_in_a_form()
    {
        var product = await NewProductAsync();
        var before = api.StoredFiles();
        var big = new byte[ImageApiFactory.MaxBytes + 1];
        TestImages.PhoneJpeg(64, 64).CopyTo(big, 0);

        await (await _admin.UploadAsync(product, big, "image/jpeg")).ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        await (await _admin.UploadFormAsync(product, big, "image/jpeg", "big")).ProblemAsync(HttpStatusCode.RequestEntityTooLarge);

        Assert.Equal(before, api.StoredFiles());
        Assert.Equal(product.Version, (await ReadAsync(product.Id)).Version);
    }

    [Fact]
    public async Task Uploads_need_the_current_ETag_and_a_stale_one_stores_nothing()
    {
        var product = await NewProductAsync();
        var before = api.StoredFiles();
        var image = TestImages.Webp(400, 300);

        var missing = new HttpRequestMessage(HttpMethod.Post, ImageUploads.ImagesUrl(product.Id)) { Content = new ByteArrayContent(image) };
        missing.Content.Headers.ContentType = new("image/webp");
        await (await _admin.SendAsync(missing)).ProblemAsync((HttpStatusCode)428);
        await (await _admin.UploadAsync(product, image, "image/webp", ifMatch: AdminIfMatch.ETag(product.Version + 5))).ProblemAsync(HttpStatusCode.PreconditionFailed);
        await (await _admin.UploadAsync(product with { Id = Guid.NewGuid() }, image, "image/webp")).ProblemAsync(HttpStatusCode.NotFound);

        Assert.Equal(before, api.StoredFiles());
    }

    [Fact]
    public async Task A_retried_upload_with_the_same_Idempotency_Key_replays_the_answer_and_adds_the_image_once()
    {
        var product = await NewProductAsync();
        var image = TestImages.Webp(500, 500);
        var key = Guid.NewGuid().ToString();

        var first = await (await _admin.UploadAsync(product, image, "image/webp", alt: "a", idempotencyKey: key)).ReadAsync<ProductDetail>(HttpStatusCode.Created);
        var retry = await _admin.UploadAsync(product, image, "image/webp", alt: "a", idempotencyKey: key);
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(first.Images[0].Id, (await retry.ReadAsync<ProductDetail>(HttpStatusCode.Created)).Images[0].Id);
        await (await _admin.UploadAsync(product, TestImages.Webp(300, 300), "image/webp", alt: "a", idempotencyKey: key)).ProblemAsync(HttpStatusCode.UnprocessableEntity);

        Assert.Single((await ReadAsync(product.Id)).Images);
    }

    [Fact]
    public async Task Images_are_reordered_with_new_alt_texts_and_deleted_with_their_files()
    {
        var product = await NewProductAsync();
        var one = await (await _admin.UploadAsync(product, TestImages.Webp(400, 400), "image/webp", alt: "one")).ReadAsync<ProductDetail>(HttpStatusCode.Created);
        var two = await (await _admin.UploadAsync(one, TestImages.TransparentPng(420, 420), "image/png", alt: "two")).ReadAsync<ProductDetail>(HttpStatusCode.Created);
        var (first, second) = (two.Images[0], two.Images[1]);

        var url = ImageUploads.ImagesUrl(product.Id);
        await (await _admin.SendJsonAsync(HttpMethod.Put, url, new { images = new[] { new { id = second.Id, alt = "Second, now first" } } }, AdminIfMatch.ETag(two.Version)))
            .ProblemAsync(HttpStatusCode.BadRequest);
        var unknown = await _admin.SendJsonAsync(HttpMethod.Put, url, new { images = new[] { new { id = second.Id, alt = "" }, new { id = (Guid?)Guid.NewGuid(), alt = "" } } }, AdminIfMatch.ETag(two.Version));
        Assert.Contains("images[1].id", (await unknown.ProblemAsync(HttpStatusCode.BadRequest)).FieldErrors());

        var reordered = await (await _admin.SendJsonAsync(HttpMethod.Put, url,
            new { images = new[] { new { id = second.Id, alt = "Second, now first" }, new { id = first.Id, alt = "First, now second" } } }, AdminIfMatch.ETag(two.Version)))
            .ReadAsync<ProductDetail>();
        Assert.Equal([second.Id, first.Id], reordered.Images.Select(i => i.Id));
        Assert.Equal(["Second, now first", "First, now second"], reordered.Images.Select(i => i.Alt));
        await (await _admin.SendJsonAsync(HttpMethod.Put, url, new { images = Array.Empty<object>() }, AdminIfMatch.ETag(two.Version))).ProblemAsync(HttpStatusCode.PreconditionFailed);

        await (await _admin.DeleteWithIfMatchAsync($"{url}/{first.Id}", AdminIfMatch.ETag(two.Version))).ProblemAsync(HttpStatusCode.PreconditionFailed);
        var deleted = await (await _admin.DeleteWithIfMatchAsync($"{url}/{first.Id}", AdminIfMatch.ETag(reordered.Version))).ReadAsync<ProductDetail>();
        Assert.Equal([second.Id], deleted.Images.Select(i => i.Id));
        Assert.All(first.Sources!, s => Assert.False(File.Exists(Path.Combine(api.StoreDirectory, s.Url.TrimStart('/'))), s.Url));
        Assert.All(second.Sources!, s => Assert.True(File.Exists(Path.Combine(api.StoreDirectory, s.Url.TrimStart('/'))), s.Url));
        await (await _admin.DeleteWithIfMatchAsync($"{url}/{first.Id}", AdminIfMatch.ETag(deleted.Version))).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Files_shared_by_two_products_stay_until_neither_shows_them()
    {
        var image = TestImages.Webp(330, 330);
        var a = await (await _admin.UploadAsync(await NewProductAsync(), image, "image/webp")).ReadAsync<ProductDetail>(HttpStatusCode.Created);
        var b = await (await _admin.UploadAsync(await NewProductAsync(), image, "image/webp")).ReadAsync<ProductDetail>(HttpStatusCode.Created);
        Assert.Equal(a.Images[0].Url, b.Images[0].Url);

        await (await _admin.DeleteWithIfMatchAsync($"{ImageUploads.ImagesUrl(a.Id)}/{a.Images[0].Id}", AdminIfMatch.ETag(a.Version))).ReadAsync<ProductDetail>();
        Assert.True(File.Exists(Path.Combine(api.StoreDirectory, b.Images[0].Url.TrimStart('/'))));
        await (await _admin.DeleteWithIfMatchAsync($"{ImageUploads.ImagesUrl(b.Id)}/{b.Images[0].Id}", AdminIfMatch.ETag(b.Version))).ReadAsync<ProductDetail>();
        Assert.False(File.Exists(Path.Combine(api.StoreDirectory, b.Images[0].Url.TrimStart('/'))));
    }

    private static string Problem(string type) => "https://headless.dev/problems/" + type;
}
