using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Ganss.Xss;
using Headless.Contracts.Admin;
using Headless.Contracts.Commerce;
using nietras.SeparatedValues;

namespace Headless.Api.Features.Catalog.Imports;

public sealed record ImportedImage(int Row, string Url, string Alt, int? Position);

public sealed record ImportedVariant(int Row, string Sku, IReadOnlyList<string> OptionValues, long Price, long? CompareAtPrice, int Grams, int? InventoryQty)
{
    public string Title => string.Join(" / ", OptionValues);
}

/// <summary>One product of the file: its first row's fields, its variants and images in file order.</summary>
public sealed record ImportedProduct(
    int Row,
    string Handle,
    string Title,
    string Description,
    string Vendor,
    string ProductType,
    IReadOnlyList<string> Tags,
    string Status,
    string? SeoTitle,
    string? SeoDescription,
    IReadOnlyList<string> OptionNames,
    List<ImportedVariant> Variants,
    List<ImportedImage> Images);

/// <summary>What reading a file found: the products when every cell was good, else the bad cells.</summary>
public sealed record ImportFile(List<ImportedProduct> Products, List<JobError> Errors, List<string> IgnoredColumns, int Rows)
{
    public int VariantCount => Products.Sum(p => p.Variants.Count);
}

/// <summary>
/// Reads Shopify's product CSV (one row per variant, rows of a product sharing Handle; the first row
/// carries the product's fields and option names, follow-up rows leave them empty; rows with only an
/// image add an image) and checks every cell before anything is written. Rows are numbered as a
/// spreadsheet shows them, the header being row 1, whatever newlines quoted cells contain.
/// <para>The text must be UTF-8 (a BOM is allowed); the parser is Sep with quote unescaping, so commas,
/// doubled quotes and newlines inside quoted cells are cell content. Prices are decimal-point numbers in
/// the catalog currency (at most its ISO 4217 decimals), turned into minor units without floating point.
/// `Body (HTML)` is sanitised to a small safe subset (paragraphs, lists, emphasis, headings, https/mailto
/// links). Tags are normalised to the catalog's form ("Eco Friendly" → "eco-friendly").</para>
/// </summary>
public sealed partial class ProductCsvReader(string currency)
{
    public const int MaxRows = 250_000;
    public const int MaxVariantsPerProduct = 100;
    public const int MaxImagesPerProduct = 50;

    private readonly string _currency = currency;
    private readonly int _decimals = MinorUnits.Of(currency);
    private readonly HtmlSanitizer _sanitizer = BodySanitizer.Create();

    [GeneratedRegex("^[a-z0-9]+(?:-[a-z0-9]+)*$")]
    private static partial Regex HandlePattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex SkuPattern();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex TagSeparators();

    public ImportFile Read(byte[] content)
    {
        var errors = new List<JobError>();
        var ignored = new List<string>();
        var products = new List<ImportedProduct>();
        if (!TryDecode(content, out var text, out var decodeError))
        {
            errors.Add(new JobError(null, null, null, decodeError));
            return new ImportFile(products, errors, ignored, 0);
        }

        using var reader = Sep.New(',').Reader(o => o with { HasHeader = true, Unescape = true, DisableColCountCheck = true }).FromText(text);
        var header = reader.Header.ColNames;
        var index = ReadHeader(header, errors, ignored);
        if (index is null)
        {
            return new ImportFile(products, errors, ignored, 0);
        }

        var byHandle = new Dictionary<string, ProductDraft>(StringComparer.Ordinal);
        var skuRows = new Dictionary<string, (int Row, string Handle)>(StringComparer.OrdinalIgnoreCase);
        var rowNumber = 1;
        var cells = new string[ShopifyColumns.All.Length];
        try
        {
            foreach (var row in reader)
            {
                rowNumber++;
                if (rowNumber - 1 > MaxRows)
                {
                    errors.Add(new JobError(rowNumber, null, null, $"The file has more than {MaxRows} rows. Split it into smaller files."));
                    break;
                }
                if (row.ColCount != header.Count)
                {
                    if (row.ColCount == 1 && row[0].Span.IsWhiteSpace())
                    {
                        continue; // a blank line
                    }
                    errors.Add(new JobError(rowNumber, null, null,
                        $"This row has {row.ColCount} cells, the header has {header.Count}. Check for an unquoted comma or a missing quote."));
                    continue;
                }
                for (var c = 0; c < cells.Length; c++)
                {
                    cells[c] = index[c] is { } i ? row[i].ToString().Trim() : "";
                }
                ReadRow(rowNumber, cells, byHandle, skuRows, errors);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException or NotSupportedException)
        {
            errors.Add(new JobError(rowNumber + 1, null, null, "This row cannot be read as CSV (a quote that is never closed?). Fix it and import again."));
        }
        if (byHandle.Count == 0 && errors.Count == 0)
        {
            errors.Add(new JobError(null, null, null, "The file has a header but no products."));
        }
        // A product without variant rows is allowed (the export writes one for a product whose variants are all archived).
        products.AddRange(byHandle.Values.Select(d => d.ToProduct()));
        return new ImportFile(errors.Count == 0 ? products : [], errors, ignored, rowNumber - 1);
    }

    private static bool TryDecode(byte[] content, out string text, out string error)
    {
        text = "";
        error = "";
        if (content.Length == 0)
        {
            error = "The file is empty.";
            return false;
        }
        var span = content.AsSpan();
        if (span.StartsWith("\uFEFF"u8))
        {
            span = span[3..];
        }
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(span);
        }
        catch (DecoderFallbackException)
        {
            error = "The file is not UTF-8 text. Save it as CSV UTF-8 (Shopify's exports are) and import again.";
            return false;
        }
        if (text.Contains('\0'))
        {
            error = "The file is not a CSV text file (it contains NUL bytes).";
            return false;
        }
        return true;
    }

    /// <summary>Maps our columns to the file's positions (null when absent); null when the header is unusable.</summary>
    private static int?[]? ReadHeader(IReadOnlyList<string> header, List<JobError> errors, List<string> ignored)
    {
        var positions = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < header.Count; i++)
        {
            var name = header[i].Trim();
            if (!ShopifyColumns.All.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                if (name.Length > 0 && !ignored.Contains(name))
                {
                    ignored.Add(name.Length > 100 ? name[..100] : name);
                }
                continue;
            }
            if (!positions.TryAdd(name, i))
            {
                errors.Add(new JobError(1, name, null, $"The column \"{name}\" appears twice. Keep one."));
            }
        }
        foreach (var required in ShopifyColumns.Required.Where(r => !positions.ContainsKey(r)))
        {
            errors.Add(new JobError(1, required, null,
                $"The header has no \"{required}\" column. The first row must be Shopify's product CSV header (Handle, Title, Body (HTML), …, Variant SKU, …, Variant Price, …)."));
        }
        if (errors.Count > 0)
        {
            return null;
        }
        return [.. ShopifyColumns.All.Select(c => positions.TryGetValue(c, out var p) ? p : (int?)null)];
    }

    private void ReadRow(int row, string[] cells, Dictionary<string, ProductDraft> byHandle, Dictionary<string, (int Row, string Handle)> skuRows,
        List<JobError> errors)
    {
        string Cell(string column) => cells[Array.IndexOf(ShopifyColumns.All, column)];
        void Error(string column, string message) => errors.Add(new JobError(row, column, null, message));

        var handle = Cell(ShopifyColumns.Handle);
        if (handle.Length == 0)
        {
            Error(ShopifyColumns.Handle, "Handle is empty. Every row names its product's handle.");
            return;
        }
        if (handle.Length > 120 || !HandlePattern().IsMatch(handle) || Guid.TryParse(handle, out _))
        {
            Error(ShopifyColumns.Handle, $"\"{Clip(handle)}\" is not a handle: use lowercase letters, digits and single hyphens, like 'beeswax-wrap' (at most 120).");
            return;
        }

        if (!byHandle.TryGetValue(handle, out var product))
        {
            product = ReadProduct(row, handle, Cell, Error);
            byHandle[handle] = product;
        }

        var sku = Cell(ShopifyColumns.Sku);
        var price = Cell(ShopifyColumns.Price);
        var values = ShopifyColumns.OptionValues.Select(Cell).ToArray();
        var isVariantRow = sku.Length > 0 || price.Length > 0 || values.Any(v => v.Length > 0)
            || Cell(ShopifyColumns.Grams).Length > 0 || Cell(ShopifyColumns.InventoryQty).Length > 0 || Cell(ShopifyColumns.CompareAtPrice).Length > 0;
        if (isVariantRow)
        {
            ReadVariant(row, product, sku, price, values, Cell, Error, skuRows);
        }
        var src = Cell(ShopifyColumns.ImageSrc);
        if (src.Length > 0)
        {
            ReadImage(row, product, src, Cell, Error);
        }
        else if (!isVariantRow && row != product.Row)
        {
            Error(ShopifyColumns.ImageSrc, "This row has neither a variant (Variant SKU, Variant Price) nor an image (Image Src). Fill it in or remove it.");
        }
    }

    private ProductDraft ReadProduct(int row, string handle, Func<string, string> cell, Action<string, string> error)
    {
        var title = cell(ShopifyColumns.Title);
        if (title.Length == 0)
        {
            error(ShopifyColumns.Title, "Title is empty. A product's first row carries its title.");
        }
        else if (title.Length > 200 || title.Any(char.IsControl))
        {
            error(ShopifyColumns.Title, "A title is at most 200 characters, without control characters.");
        }
        var body = cell(ShopifyColumns.Body);
        var description = body.Length == 0 ? "" : _sanitizer.Sanitize(body).Trim();
        if (description.Length > 20_000)
        {
            error(ShopifyColumns.Body, "The description is longer than 20,000 characters.");
        }
        var vendor = ShortText(cell(ShopifyColumns.Vendor), ShopifyColumns.Vendor, 100, error);
        var type = ShortText(cell(ShopifyColumns.Type), ShopifyColumns.Type, 100, error);
        var seoTitle = ShortText(cell(ShopifyColumns.SeoTitle), ShopifyColumns.SeoTitle, 200, error);
        var seoDescription = ShortText(cell(ShopifyColumns.SeoDescription), ShopifyColumns.SeoDescription, 500, error);

        var tags = new List<string>();
        foreach (var raw in cell(ShopifyColumns.Tags).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var tag = TagSeparators().Replace(raw.ToLowerInvariant(), "-").Trim('-');
            if (tag.Length is 0 or > 50)
            {
                error(ShopifyColumns.Tags, $"The tag \"{Clip(raw)}\" has no letters or digits, or is longer than 50. Tags become lowercase words joined by hyphens.");
            }
            else if (!tags.Contains(tag))
            {
                tags.Add(tag);
            }
        }
        if (tags.Count > 30)
        {
            error(ShopifyColumns.Tags, "At most 30 tags.");
        }

        var status = ReadStatus(cell(ShopifyColumns.Status), cell(ShopifyColumns.Published), error);

        var optionNames = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var name = cell(ShopifyColumns.OptionNames[i]);
            if (name.Length == 0)
            {
                continue;
            }
            if (optionNames.Count < i)
            {
                error(ShopifyColumns.OptionNames[i], $"Option{i + 1} Name is set but Option{i} Name is empty. Fill the option names from Option1.");
            }
            if (name.Length > 30 || name.Any(char.IsControl))
            {
                error(ShopifyColumns.OptionNames[i], "An option name is at most 30 characters.");
            }
            if (optionNames.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                error(ShopifyColumns.OptionNames[i], $"The option name \"{name}\" is used twice.");
            }
            optionNames.Add(name);
        }
        return new ProductDraft(row, handle, title, description, vendor, type, tags, status, seoTitle, seoDescription, optionNames);
    }

    private static string ReadStatus(string status, string published, Action<string, string> error)
    {
        if (status.Length > 0)
        {
            var s = status.ToLowerInvariant();
            if (s is "active" or "draft" or "archived")
            {
                return s;
            }
            error(ShopifyColumns.Status, $"\"{Clip(status)}\" is not a status. Use active, draft or archived.");
            return "draft";
        }
        if (published.Length == 0 || published.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return "active";
        }
        if (published.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            return "draft";
        }
        error(ShopifyColumns.Published, $"\"{Clip(published)}\" is not TRUE or FALSE.");
        return "draft";
    }

    private void ReadVariant(int row, ProductDraft product, string sku, string price, string[] values, Func<string, string> cell,
        Action<string, string> error, Dictionary<string, (int Row, string Handle)> skuRows)
    {
        if (sku.Length == 0)
        {
            error(ShopifyColumns.Sku, "Variant SKU is empty. Every variant needs a SKU here (it is how a later import finds it).");
        }
        else if (!SkuPattern().IsMatch(sku))
        {
            error(ShopifyColumns.Sku, $"\"{Clip(sku)}\" is not a SKU: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }
        else if (skuRows.TryGetValue(sku, out var first))
        {
            error(ShopifyColumns.Sku, first.Handle == product.Handle
                ? $"The SKU {sku} is used twice in this product (first in row {first.Row})."
                : $"The SKU {sku} is also used by the product \"{first.Handle}\" (row {first.Row}). A SKU belongs to one product.");
        }
        else
        {
            skuRows[sku] = (row, product.Handle);
        }

        long amount = 0;
        if (price.Length == 0)
        {
            error(ShopifyColumns.Price, "Variant Price is empty. Every variant needs a price.");
        }
        else if (ParseMoney(price) is { } parsed)
        {
            amount = parsed;
        }
        else
        {
            error(ShopifyColumns.Price, PriceMessage(price));
        }

        long? compareAt = null;
        var compare = cell(ShopifyColumns.CompareAtPrice);
        if (compare.Length > 0)
        {
            compareAt = ParseMoney(compare);
            if (compareAt is null)
            {
                error(ShopifyColumns.CompareAtPrice, PriceMessage(compare));
            }
            else if (compareAt <= amount)
            {
                // Shopify exports often repeat the price here; a "was" price at the price advertises no saving.
                compareAt = null;
            }
        }

        var grams = 0;
        var gramsText = cell(ShopifyColumns.Grams);
        if (gramsText.Length > 0 && !(ParseWhole(gramsText) is { } g && g <= 100_000 && (grams = (int)g) >= 0))
        {
            error(ShopifyColumns.Grams, $"\"{Clip(gramsText)}\" is not a weight: whole grams from 0 to 100000.");
        }

        int? qty = null;
        var qtyText = cell(ShopifyColumns.InventoryQty);
        if (qtyText.Length > 0)
        {
            if (ParseWhole(qtyText) is { } q && q <= CatalogLimits.MaxStock)
            {
                qty = (int)q;
            }
            else
            {
                error(ShopifyColumns.InventoryQty, $"\"{Clip(qtyText)}\" is not a stock count: a whole number from 0 to {CatalogLimits.MaxStock}.");
            }
        }

        var names = product.OptionNames;
        var isDefault = names.Count == 1 && names[0] == ShopifyColumns.DefaultOptionName && values[0] == ShopifyColumns.DefaultOptionValue;
        var optionValues = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var value = values[i];
            if (i >= names.Count)
            {
                if (value.Length > 0)
                {
                    error(ShopifyColumns.OptionValues[i], $"\"{Clip(value)}\" is a value for option {i + 1}, but the product \"{product.Handle}\" has no Option{i + 1} Name (its options: {Names(names)}).");
                }
                continue;
            }
            if (value.Length == 0)
            {
                error(ShopifyColumns.OptionValues[i], $"This variant has no value for the option \"{names[i]}\".");
            }
            else if (value.Length > 50 || value.Any(char.IsControl))
            {
                error(ShopifyColumns.OptionValues[i], "An option value is at most 50 characters.");
            }
            optionValues.Add(value);
        }
        if (isDefault)
        {
            optionValues.Clear();
        }
        else if (names.Count > 0 && optionValues.Count == names.Count && product.Variants.FirstOrDefault(v => v.OptionValues.SequenceEqual(optionValues, StringComparer.OrdinalIgnoreCase)) is { } same)
        {
            error(ShopifyColumns.OptionValues[0], $"Row {same.Row} has the same options ({string.Join(" / ", optionValues)}). Each variant of a product needs its own.");
        }
        if (product.Variants.Count >= MaxVariantsPerProduct)
        {
            error(ShopifyColumns.Sku, $"A product has at most {MaxVariantsPerProduct} variants.");
            return;
        }
        product.Variants.Add(new ImportedVariant(row, sku, optionValues, amount, compareAt, grams, qty));
    }

    private static void ReadImage(int row, ProductDraft product, string src, Func<string, string> cell, Action<string, string> error)
    {
        var url = src.Length <= 2000 && (src.StartsWith('/') && !src.StartsWith("//", StringComparison.Ordinal)
            || Uri.TryCreate(src, UriKind.Absolute, out var abs) && abs.Scheme == Uri.UriSchemeHttps);
        if (!url)
        {
            error(ShopifyColumns.ImageSrc, $"\"{Clip(src)}\" is not an image address: use an https:// URL or a site path like /images/x.jpg.");
        }
        int? position = null;
        var positionText = cell(ShopifyColumns.ImagePosition);
        if (positionText.Length > 0)
        {
            if (ParseWhole(positionText) is { } p and >= 1 and <= 1000)
            {
                position = (int)p;
            }
            else
            {
                error(ShopifyColumns.ImagePosition, $"\"{Clip(positionText)}\" is not an image position: a whole number from 1.");
            }
        }
        var alt = cell(ShopifyColumns.ImageAlt);
        if (alt.Length > 300)
        {
            error(ShopifyColumns.ImageAlt, "Alt text is at most 300 characters.");
        }
        if (product.Images.Any(i => i.Url == src))
        {
            return; // Shopify repeats a variant's image on its rows; once is enough
        }
        if (product.Images.Count >= MaxImagesPerProduct)
        {
            error(ShopifyColumns.ImageSrc, $"A product has at most {MaxImagesPerProduct} images.");
            return;
        }
        product.Images.Add(new ImportedImage(row, src, alt, position));
    }

    /// <summary>"12.5" or "12.50" → 1250 minor units (in a two-decimal currency); no signs, symbols,
    /// thousands separators or more decimals than the currency has.</summary>
    public long? ParseMoney(string text)
    {
        var dot = text.IndexOf('.');
        var whole = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? "" : text[(dot + 1)..];
        if (whole.Length is 0 or > 9 || !whole.All(char.IsAsciiDigit) || fraction.Length > _decimals || !fraction.All(char.IsAsciiDigit)
            || (dot >= 0 && fraction.Length == 0))
        {
            return null;
        }
        var amount = long.Parse(whole, CultureInfo.InvariantCulture);
        for (var i = 0; i < _decimals; i++)
        {
            amount = amount * 10 + (i < fraction.Length ? fraction[i] - '0' : 0);
        }
        return amount <= CatalogLimits.MaxPrice ? amount : null;
    }

    private string PriceMessage(string text) =>
        $"\"{Clip(text)}\" is not a price: write it with a decimal point and at most {_decimals} decimals, without currency sign or thousands separator, " +
        $"like {(_decimals == 0 ? "1250" : "12." + "5".PadRight(_decimals, '0'))}, at most {MinorUnits.Decimal(CatalogLimits.MaxPrice, _currency)} (prices are in {_currency}).";

    /// <summary>A whole number; Shopify writes some counts as "250.0", which is read as 250.</summary>
    private static long? ParseWhole(string text)
    {
        var t = text.EndsWith(".0", StringComparison.Ordinal) ? text[..^2] : text;
        return t.Length is > 0 and <= 9 && t.All(char.IsAsciiDigit) ? long.Parse(t, CultureInfo.InvariantCulture) : null;
    }

    private static string ShortText(string value, string column, int max, Action<string, string> error)
    {
        if (value.Length > max || value.Any(char.IsControl))
        {
            error(column, $"{column} is at most {max} characters, without control characters.");
        }
        return value;
    }

    private static string Names(IReadOnlyList<string> names) => names.Count == 0 ? "none" : string.Join(", ", names);

    private static string Clip(string value) => value.Length > 40 ? value[..40] + "…" : value;

    private sealed record ProductDraft(int Row, string Handle, string Title, string Description, string Vendor, string ProductType, List<string> Tags,
        string Status, string SeoTitle, string SeoDescription, List<string> OptionNames)
    {
        public List<ImportedVariant> Variants { get; } = [];
        public List<ImportedImage> Images { get; } = [];

        public ImportedProduct ToProduct()
        {
            var isDefault = OptionNames is [ShopifyColumns.DefaultOptionName] && Variants.All(v => v.OptionValues.Count == 0);
            // Images with a position first in that order, then the rest in file order (a stable sort).
            var images = Images.Select((image, i) => (image, i)).OrderBy(x => x.image.Position ?? int.MaxValue).ThenBy(x => x.i).Select(x => x.image).ToList();
            return new ImportedProduct(Row, Handle, Title, Description, Vendor, ProductType, Tags, Status,
                SeoTitle.Length == 0 ? null : SeoTitle, SeoDescription.Length == 0 ? null : SeoDescription,
                isDefault ? [] : OptionNames, Variants, images);
        }
    }
}

/// <summary>The catalog's numeric limits, as the admin routes apply them.</summary>
public static class CatalogLimits
{
    public const long MaxPrice = Admin.CatalogRules.MaxPrice;
    public const int MaxStock = Admin.CatalogRules.MaxStock;
}
