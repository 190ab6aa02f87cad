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

public sealed class CreateDiscountCode(NpgsqlDataSource db, IOptions<CatalogOptions> catalog)
    : Endpoint<CreateDiscountCode.Request, Results<Created<DiscountCode>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/discount-codes");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("CreateDiscountCode").WithTags("Admin pricing")
            .ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s => s.Summary = "Create a discount code: percentage or fixed, with a minimum subtotal, validity window and usage limit");
    }

    public sealed class Request : JsonBody<CreateDiscountCodeRequest>;

    public sealed class Validator(IValidator<CreateDiscountCodeRequest> rules) : JsonBodyValidator<Request, CreateDiscountCodeRequest>(rules);

    public override async Task<Results<Created<DiscountCode>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var row = await conn.QuerySingleOrDefaultAsync<DiscountCodes.Row>($"""
            insert into discount_codes (id, code, kind, value, currency, min_subtotal, starts_at, ends_at, usage_limit)
            values (@id, @code, @kind, @value, @currency, @minSubtotal, @startsAt, @endsAt, @usageLimit)
            on conflict (code) do nothing
            returning {DiscountCodes.Columns}
            """, new
        {
            id = Guid.CreateVersion7(),
            code = DiscountCodes.Normalize(request.Code!),
            request.Kind,
            request.Value,
            currency = catalog.Value.Currency,
            minSubtotal = request.MinSubtotal ?? 0,
            startsAt = request.StartsAt?.UtcDateTime,
            endsAt = request.EndsAt?.UtcDateTime,
            request.UsageLimit,
        }, tx);
        if (row is null)
        {
            return Conflict($"The code '{DiscountCodes.Normalize(request.Code!)}' exists.", new Dictionary<string, string[]> { ["code"] = ["Taken."] });
        }
        var log = new WriteLog(conn, tx, Actor.From(http));
        await log.AuditAsync("discount-code.created", "discount-code", row.Code, null, PricingAdmin.ToContract(row), ApiJsonContext.Default.DiscountCode);
        await tx.CommitAsync(ct);
        Versions.SetETag(http, row.Version);
        return TypedResults.Created($"/api/v1/admin/discount-codes/{row.Code}", PricingAdmin.ToContract(row));
    }
}
