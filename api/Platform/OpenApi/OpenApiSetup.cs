using Microsoft.OpenApi;

namespace Headless.Api.Platform.OpenApi;

public static class OpenApiSetup
{
    public const string DocumentName = "v1";

    public static IServiceCollection AddHeadlessOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi(DocumentName, o =>
        {
            o.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            o.AddDocumentTransformer((doc, _, _) =>
            {
                doc.Info = new OpenApiInfo
                {
                    Title = "Headless Commerce API",
                    Version = "1.0.0",
                    Description = "Catalog, cart, checkout, accounts and admin for a Headless shop. Errors are RFC 9457 problem documents (application/problem+json). Money is integer minor units plus an ISO 4217 currency. Lists use cursor pagination. Sign in with POST /api/v1/auth/login and send `Authorization: Bearer <accessToken>` (or use the cookie with useCookies, plus X-CSRF-Token on writes). Admin routes (/api/v1/admin/...) need a staff or admin account (admins with two-factor sign-in) or an API key with a matching scope.",
                };
                // No servers entry: generated clients then take their base address from the caller.
                doc.Servers = [];
                doc.Components ??= new OpenApiComponents();
                doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                doc.Components.SecuritySchemes["apiKey"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An access token from POST /api/v1/auth/login, or an API key (hk_...), sent as `Authorization: Bearer ...`.",
                };
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                // Header parameters such as If-Match get a C#/TS-friendly name in the generated clients.
                foreach (var parameter in operation.Parameters ?? [])
                {
                    if (parameter is OpenApiParameter { In: ParameterLocation.Header, Name: { } name } header && name.Contains('-', StringComparison.Ordinal))
                    {
                        header.Extensions ??= new Dictionary<string, IOpenApiExtension>();
                        header.Extensions["x-originalName"] = new JsonNodeExtension(char.ToLowerInvariant(name[0]) + name[1..].Replace("-", "", StringComparison.Ordinal));
                    }
                }
                var path = context.Description.RelativePath ?? "";
                if (path.StartsWith("api/v1/admin", StringComparison.Ordinal) || path.StartsWith("api/v1/account", StringComparison.Ordinal))
                {
                    operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("apiKey", context.Document)] = [] }];
                }
                return Task.CompletedTask;
            });
        });
        return services;
    }
}
