using Dapper;
using Headless.Api.Features.Catalog;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Pricing.Admin;

public static class CreateDiscountCode
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/discount-codes", Handle)
        .WithName("CreateDiscountCode")
        .WithSummary("Create a discount code: percentage or fixed, with a minimum subtotal, validity window and usage limit")
        .Validate<CreateDiscountCodeRequest>()
        .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Results<Created<DiscountCode>, ProblemHttpResult>> Handle(
        CreateDiscountCodeRequest request, HttpContext http, NpgsqlDataSource db, IOptions<CatalogOptions> catalog, CancellationToken ct)
    {
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
        await log.AuditAsync("discount-code.created", "discount-code", row.Code, null, null);
        await tx.CommitAsync(ct);
        Versions.SetETag(http, row.Version);
        return TypedResults.Created($"/api/v1/admin/discount-codes/{row.Code}", PricingAdmin.ToContract(row));
    }
}
