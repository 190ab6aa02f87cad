using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace Headless.Api.Platform.OpenApi;

/// <summary>Example bodies for the requests integrators send most, shown by documentation tools and
/// checked against their schemas by the OpenAPI linter.</summary>
internal sealed class RequestExamples : IOperationProcessor
{
    private static readonly Dictionary<string, object> ByOperation = new()
    {
        ["CreateProduct"] = new
        {
            slug = "linen-gift-set",
            title = "Linen Gift Set",
            description = "Two stonewashed linen napkins and a tea towel.",
            status = "active",
            images = Array.Empty<object>(),
            tags = new[] { "linen", "gift" },
            featured = false,
            categoryIds = Array.Empty<Guid>(),
            variants = new[] { new { sku = "LGS-1", title = "One size", options = new Dictionary<string, string>(), price = new { amount = 3900, currency = "EUR" }, weightGrams = 600, initialStock = 12 } },
        },
        ["UpdateProduct"] = new { title = "Linen Gift Set for Two", tags = new[] { "linen", "gift", "bestseller" } },
        ["CreateCategory"] = new { slug = "gift-sets", name = "Gift Sets", description = "Ready to give.", parentId = (Guid?)null, position = 10 },
        ["AdjustStock"] = new { delta = -2, reason = "damaged in transit" },
        ["CreateCart"] = new { currency = "EUR" },
        ["AddCartLine"] = new { sku = "LGS-1", quantity = 2 },
        ["UpdateCart"] = new { country = "DE", shippingMethod = "standard", discountCode = "WELCOME10" },
        ["CreateCheckout"] = new
        {
            cartToken = "hc_9f3Yx2…",
            email = "ada@example.com",
            shippingAddress = new { fullName = "Ada Lovelace", line1 = "Hauptstraße 1", line2 = "", city = "Berlin", region = "", postalCode = "10115", country = "DE", phone = "+49 30 1234567" },
            shippingMethod = "standard",
            discountCode = "WELCOME10",
        },
        ["Register"] = new { email = "ada@example.com", password = "a long passphrase", firstName = "Ada", lastName = "Lovelace", marketingConsent = false },
        ["Login"] = new { email = "ada@example.com", password = "a long passphrase", useCookies = false },
        ["ShipOrder"] = new { carrier = "DHL", trackingNumber = "00340434161234567890" },
        ["RefundOrder"] = new { amount = 1500, reason = "one item arrived damaged" },
        ["CreateApiKey"] = new { name = "ERP feed", scopes = new[] { "catalog" } },
    };

    public bool Process(OperationProcessorContext context)
    {
        var operation = context.OperationDescription.Operation;
        if (operation.OperationId is { } id && ByOperation.TryGetValue(id, out var example)
            && operation.RequestBody?.Content.TryGetValue("application/json", out var media) == true)
        {
            media.Example = example;
        }
        return true;
    }
}
