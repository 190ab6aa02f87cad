namespace Headless.Api.Features.Catalog.Imports;

/// <summary>The columns of Shopify's product CSV that the import reads and the export writes, in
/// Shopify's order. Any other column (Shopify exports many: Variant Barcode, Gift Card, Google Shopping
/// fields, …) is ignored and named in the job's result.</summary>
public static class ShopifyColumns
{
    public const string Handle = "Handle";
    public const string Title = "Title";
    public const string Body = "Body (HTML)";
    public const string Vendor = "Vendor";
    public const string Type = "Type";
    public const string Tags = "Tags";
    public const string Published = "Published";
    public const string Option1Name = "Option1 Name";
    public const string Option1Value = "Option1 Value";
    public const string Option2Name = "Option2 Name";
    public const string Option2Value = "Option2 Value";
    public const string Option3Name = "Option3 Name";
    public const string Option3Value = "Option3 Value";
    public const string Sku = "Variant SKU";
    public const string Grams = "Variant Grams";
    public const string InventoryQty = "Variant Inventory Qty";
    public const string Price = "Variant Price";
    public const string CompareAtPrice = "Variant Compare At Price";
    public const string ImageSrc = "Image Src";
    public const string ImagePosition = "Image Position";
    public const string ImageAlt = "Image Alt Text";
    public const string SeoTitle = "SEO Title";
    public const string SeoDescription = "SEO Description";
    public const string Status = "Status";

    public static readonly string[] All =
    [
        Handle, Title, Body, Vendor, Type, Tags, Published, Option1Name, Option1Value, Option2Name, Option2Value,
        Option3Name, Option3Value, Sku, Grams, InventoryQty, Price, CompareAtPrice, ImageSrc, ImagePosition, ImageAlt,
        SeoTitle, SeoDescription, Status,
    ];

    /// <summary>Without these a file cannot describe a catalog; the others may be left out (read as empty).</summary>
    public static readonly string[] Required = [Handle, Title, Sku, Price];

    public static readonly string[] OptionNames = [Option1Name, Option2Name, Option3Name];
    public static readonly string[] OptionValues = [Option1Value, Option2Value, Option3Value];

    /// <summary>Shopify's stand-in for a product without options: one option "Title" with the value "Default Title".</summary>
    public const string DefaultOptionName = "Title";
    public const string DefaultOptionValue = "Default Title";
}
