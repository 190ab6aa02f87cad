namespace Headless.Api.Platform.OpenApi;

/// <summary>The tags that group the document's operations, each with what a reader finds there.</summary>
public static class ApiTags
{
    public static void Describe(Dictionary<string, string> tags)
    {
        tags["Catalog"] = "Public catalog reads: products, categories, the change feed and the bulk export. Cached, with ETags; If-None-Match answers 304.";
        tags["Search"] = "Product search with filters, facets and stock-aware ranking, and type-ahead suggestions.";
        tags["Carts"] = "Guest carts addressed by their token, and the signed-in customer's cart.";
        tags["Checkout"] = "Checkout with stock reservation, and payment confirmation (the built-in test provider and Stripe's webhook).";
        tags["Orders"] = "A customer's orders, and a guest's order by its order token.";
        tags["Auth"] = "Registration, email confirmation, sign-in (password and social), tokens, password reset and CSRF.";
        tags["Account"] = "The signed-in customer's profile, two-factor sign-in, addresses, consents and personal data (GDPR export and erasure).";
        tags["Admin catalog"] = "Staff: create and edit products, variants and categories. Updates need If-Match.";
        tags["Admin inventory"] = "Staff: stock levels, set and adjust with a reason.";
        tags["Admin orders"] = "Staff: find orders, ship, deliver, cancel and refund.";
        tags["Admin pricing"] = "Staff: shipping methods, tax rates and discount codes.";
        tags["Admin accounts"] = "Admins: people, roles, API keys, and customers' personal data.";
        tags["Admin audit"] = "Admins: the tamper-evident audit log of staff writes and account events, and the check of its hash chain.";
        tags["Admin search"] = "Admins: rebuild the search index.";
        tags["Admin imports"] = "Staff: import products from a Shopify product CSV (a background job) and export the catalog in the same format.";
        tags["Admin jobs"] = "Staff: background jobs (imports, bulk edits): status, progress, errors, cancellation.";
    }
}
