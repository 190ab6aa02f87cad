using System.Text.Json;
using System.Text.Json.Serialization;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Headless.Contracts.Commerce;
using Headless.Contracts.Search;
using Microsoft.AspNetCore.Mvc;

namespace Headless.Api.Platform.Json;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(CreateCartRequest))]
[JsonSerializable(typeof(AddCartLineRequest))]
[JsonSerializable(typeof(SetCartLineRequest))]
[JsonSerializable(typeof(UpdateCartRequest))]
[JsonSerializable(typeof(MergeCartRequest))]
[JsonSerializable(typeof(Cart))]
[JsonSerializable(typeof(CheckoutRequest))]
[JsonSerializable(typeof(CheckoutResult))]
[JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(OrderAddress))]
[JsonSerializable(typeof(OrderPage))]
[JsonSerializable(typeof(TestCardRequest))]
[JsonSerializable(typeof(ShipOrderRequest))]
[JsonSerializable(typeof(CancelOrderRequest))]
[JsonSerializable(typeof(RefundRequest))]
[JsonSerializable(typeof(RefundResult))]
[JsonSerializable(typeof(CreateShippingMethodRequest))]
[JsonSerializable(typeof(UpdateShippingMethodRequest))]
[JsonSerializable(typeof(ShippingMethod))]
[JsonSerializable(typeof(ShippingMethodList))]
[JsonSerializable(typeof(SetTaxRateRequest))]
[JsonSerializable(typeof(TaxRate))]
[JsonSerializable(typeof(TaxRateList))]
[JsonSerializable(typeof(CreateDiscountCodeRequest))]
[JsonSerializable(typeof(UpdateDiscountCodeRequest))]
[JsonSerializable(typeof(DiscountCode))]
[JsonSerializable(typeof(DiscountCodeList))]
[JsonSerializable(typeof(ProductDetail))]
[JsonSerializable(typeof(ProductPage))]
[JsonSerializable(typeof(CategoryTree))]
[JsonSerializable(typeof(CatalogChangePage))]
[JsonSerializable(typeof(ProductDetailPage))]
[JsonSerializable(typeof(CreateProductRequest))]
[JsonSerializable(typeof(UpdateProductRequest))]
[JsonSerializable(typeof(CreateVariantRequest))]
[JsonSerializable(typeof(UpdateVariantRequest))]
[JsonSerializable(typeof(SetStockRequest))]
[JsonSerializable(typeof(AdjustStockRequest))]
[JsonSerializable(typeof(StockLevel))]
[JsonSerializable(typeof(CreateCategoryRequest))]
[JsonSerializable(typeof(UpdateCategoryRequest))]
[JsonSerializable(typeof(CategoryNode))]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(HttpValidationProblemDetails))]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<ProductImage>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(SearchResults))]
[JsonSerializable(typeof(SearchSuggestions))]
[JsonSerializable(typeof(SearchReindexResult))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
