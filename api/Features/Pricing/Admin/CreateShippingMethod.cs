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

public sealed class CreateShippingMethod(NpgsqlDataSource db, PricingRules rules, IOptions<CatalogOptions> catalog)
    : Endpoint<CreateShippingMethod.Request, Results<Created<ShippingMethod>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/shipping-methods");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("CreateShippingMethod").WithTags("Admin pricing")
            .ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s => s.Summary = "Create a shipping method with its rates by destination country and parcel weight");
    }

    public sealed class Request : JsonBody<CreateShippingMethodRequest>;

    public sealed class Validator(IValidator<CreateShippingMethodRequest> rules) : JsonBodyValidator<Request, CreateShippingMethodRequest>(rules);

    public override async Task<Results<Created<ShippingMethod>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var id = Guid.CreateVersion7();
        var inserted = await conn.ExecuteAsync("""
            insert into shipping_methods (id, code, name, active, position) values (@id, @code, @name, @active, @position)
            on conflict (code) do nothing
            """, new { id, request.Code, request.Name, active = request.Active ?? true, position = request.Position ?? 0 }, tx);
        if (inserted == 0)
        {
            return Conflict($"A shipping method with code '{request.Code}' exists.", new Dictionary<string, string[]> { ["code"] = ["Taken."] });
        }
        await PricingAdmin.ReplaceRatesAsync(conn, tx, id, request.Rates!);
        var method = (await PricingAdmin.LoadMethodAsync(conn, catalog.Value.Currency, tx, id))!;
        var log = new WriteLog(conn, tx, Actor.From(http));
        await log.EventAsync("shipping-method.created", "pricing", id.ToString());
        await log.AuditAsync("shipping-method.created", "shipping-method", id.ToString(), null, method, ApiJsonContext.Default.ShippingMethod);
        await tx.CommitAsync(ct);
        rules.Invalidate();
        Versions.SetETag(http, method.Version);
        return TypedResults.Created($"/api/v1/admin/shipping-methods/{id}", method);
    }
}
