using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Json;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Pricing.Admin;

public sealed class UpdateDiscountCode(NpgsqlDataSource db) : Endpoint<UpdateDiscountCode.Request, Results<Ok<DiscountCode>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Patch("/discount-codes/{code}");
        Group<AdminApi>();
        Options(b => b.WithMetadata(Platform.Http.IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("UpdateDiscountCode").WithTags("Admin pricing")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired));
        Summary(s => s.Summary = "Switch a discount code on or off, or change its end or usage limit (If-Match required)");
    }

    public sealed class Request : JsonBody<UpdateDiscountCodeRequest>
    {
        [RouteParam]
        public string Code { get; set; } = "";
    }

    public sealed class Validator(IValidator<UpdateDiscountCodeRequest> rules) : JsonBodyValidator<Request, UpdateDiscountCodeRequest>(rules);

    public override async Task<Results<Ok<DiscountCode>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (code, request, http) = (req.Code, req.Body, HttpContext);
        var ifMatch = Versions.ParseIfMatch(http.Request.Headers.IfMatch);
        if (ifMatch.IsMissing || ifMatch.IsInvalid)
        {
            return PreconditionRequired();
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync("select 1 from discount_codes where code = @code for update", new { code = DiscountCodes.Normalize(code) }, tx);
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
        await new WriteLog(conn, tx, Actor.From(http)).AuditAsync("discount-code.updated", "discount-code", row.Code,
            PricingAdmin.ToContract(current), PricingAdmin.ToContract(row), ApiJsonContext.Default.DiscountCode);
        await tx.CommitAsync(ct);
        Versions.SetETag(http, row.Version);
        return TypedResults.Ok(PricingAdmin.ToContract(row));
    }
}
