using Dapper;
using FastEndpoints;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Orders;

public sealed class ListMyOrders(NpgsqlDataSource db, PersonalDataVault vault) : Endpoint<ListMyOrders.Request, Results<Ok<OrderPage>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/account/orders");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("ListMyOrders").WithTags("Orders")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status421MisdirectedRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            // FastEndpoints documents a 403 for every route with a policy; this route never had one.
            .ClearDefaultProduces(StatusCodes.Status403Forbidden));
        Summary(s =>
        {
            s.Summary = "Your order history, newest first";
            s.Description = "Emails are read from your region's personal-data vault: 421 names the API of your region when this is the other " +
                "region's API; 503 (with Retry-After) when the vault cannot be reached for a moment.";
        });
    }

    public sealed class Request
    {
        public string? Cursor { get; set; }
        public int? Limit { get; set; }
    }

    public override async Task<Results<Ok<OrderPage>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (cursor, limit, http) = (req.Cursor, req.Limit, HttpContext);
        var page = OrderQueries.ParsePage(cursor, limit);
        if (page.Problem is not null)
        {
            return page.Problem;
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = (await conn.QueryAsync<OrderQueries.SummaryRow>($"""
            {OrderQueries.SummarySelect}
            where o.customer_id = @customerId {OrderQueries.AfterCursor}
            {OrderQueries.Newest}
            """, new { customerId = http.User.UserId(), page.AfterAt, page.AfterId, take = page.Limit + 1 })).ToList();
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(await OrderQueries.ToPageAsync(rows, page.Limit, vault, ct));
    }
}
