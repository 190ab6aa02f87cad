using Dapper;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Pricing.Admin;

public static class UpdateDiscountCode
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPatch("/discount-codes/{code}", Handle)
        .WithName("UpdateDiscountCode")
        .WithSummary("Switch a discount code on or off, or change its end or usage limit (If-Match required)")
        .Validate<UpdateDiscountCodeRequest>()
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status412PreconditionFailed)
        .ProducesProblem(StatusCodes.Status428PreconditionRequired);

    private static async Task<Results<Ok<DiscountCode>, ProblemHttpResult>> Handle(
        string code, UpdateDiscountCodeRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var ifMatch = Versions.ParseIfMatch(http.Request.Headers.IfMatch);
        if (ifMatch.IsMissing || ifMatch.IsInvalid)
        {
            return PreconditionRequired();
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var current = await DiscountCodes.FindAsync(conn, code, tx);
        if (current is null)
        {
            return NotFound($"No discount code '{DiscountCodes.Normalize(code)}'.");
        }
        if (request.UsageLimit is { } limit && limit < current.TimesUsed)
        {
            return Conflict($"The code was already used {current.TimesUsed} times; the limit cannot be lower.");
        }
        var row = await conn.QuerySingleOrDefaultAsync<DiscountCodes.Row>($"""
            update discount_codes set active = coalesce(@active, active), ends_at = coalesce(@endsAt, ends_at),
                usage_limit = coalesce(@usageLimit, usage_limit), version = version + 1, updated_at = now()
            where code = @code and version = @version
            returning {DiscountCodes.Columns}
            """, new { code = current.Code, request.Active, endsAt = request.EndsAt?.UtcDateTime, request.UsageLimit, version = ifMatch.Version }, tx);
        if (row is null)
        {
            return PreconditionFailed("The discount code changed since you read it.");
        }
        await new WriteLog(conn, tx, Actor.From(http)).AuditAsync("discount-code.updated", "discount-code", row.Code, null, null);
        await tx.CommitAsync(ct);
        Versions.SetETag(http, row.Version);
        return TypedResults.Ok(PricingAdmin.ToContract(row));
    }
}
