using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Catalog;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Pricing.Admin;

public sealed class UpdateShippingMethod(NpgsqlDataSource db, PricingRules rules, IOptions<CatalogOptions> catalog)
    : Endpoint<UpdateShippingMethod.Request, Results<Ok<ShippingMethod>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Patch("/shipping-methods/{code}");
        Group<AdminApi>();
        Options(b => b.WithMetadata(Platform.Http.IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("UpdateShippingMethod").WithTags("Admin pricing")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s => s.Summary = "Rename, (de)activate or reorder a shipping method, or replace its rates (If-Match required)");
    }

    public sealed class Request : JsonBody<UpdateShippingMethodRequest>
    {
        [RouteParam]
        public string Code { get; set; } = "";
    }

    public sealed class Validator(IValidator<UpdateShippingMethodRequest> rules) : JsonBodyValidator<Request, UpdateShippingMethodRequest>(rules);

    public override async Task<Results<Ok<ShippingMethod>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (code, request, http) = (req.Code, req.Body, HttpContext);
        var ifMatch = Versions.ParseIfMatch(http.Request.Headers.IfMatch);
        if (ifMatch.IsMissing || ifMatch.IsInvalid)
        {
            return PreconditionRequired();
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync("select 1 from shipping_methods where code = @code for update", new { code }, tx);
        var before = await PricingAdmin.LoadMethodAsync(conn, catalog.Value.Currency, tx, code: code);
        var id = await conn.ExecuteScalarAsync<Guid?>("""
            update shipping_methods set name = coalesce(@name, name), active = coalesce(@active, active), position = coalesce(@position, position),
                version = version + 1, updated_at = now()
            where code = @code and version = @version
            returning id
            """, new { code, request.Name, request.Active, request.Position, version = ifMatch.Version }, tx);
        if (id is null)
        {
            var exists = await conn.ExecuteScalarAsync<bool>("select exists (select 1 from shipping_methods where code = @code)", new { code }, tx);
            return exists ? PreconditionFailed("The shipping method changed since you read it.") : NotFound($"No shipping method '{code}'.");
        }
        if (request.Rates is { } rates)
        {
            await PricingAdmin.ReplaceRatesAsync(conn, tx, id.Value, rates);
        }
        var log = new WriteLog(conn, tx, Actor.From(http));
        await log.EventAsync("shipping-method.updated", "pricing", id.Value.ToString());
        var method = (await PricingAdmin.LoadMethodAsync(conn, catalog.Value.Currency, tx, id))!;
        await log.AuditAsync("shipping-method.updated", "shipping-method", id.Value.ToString(), before, method, ApiJsonContext.Default.ShippingMethod);
        await tx.CommitAsync(ct);
        rules.Invalidate();
        Versions.SetETag(http, method.Version);
        return TypedResults.Ok(method);
    }
}
