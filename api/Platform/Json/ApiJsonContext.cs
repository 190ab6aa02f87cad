using System.Text.Json;
using System.Text.Json.Serialization;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Mvc;

namespace Headless.Api.Platform.Json;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
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
internal sealed partial class ApiJsonContext : JsonSerializerContext;
