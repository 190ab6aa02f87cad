using Dapper;
using FastEndpoints;
using Headless.Api.Features.Accounts.Addresses;
using Headless.Api.Features.Accounts.Consents;
using Headless.Api.Features.Orders;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Accounts.Admin;

public sealed class GetCustomer(NpgsqlDataSource db, Platform.Vaults.PersonalDataVault vault) : Endpoint<GetCustomer.Request, Results<Ok<CustomerDetail>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/customers/{id:guid}");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("GetCustomer").WithTags("Admin customers").ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s =>
        {
            s.Summary = "A customer's profile, latest orders, addresses and consent history";
            s.Description = "Orders: the 50 newest placed while signed in or, once the email is confirmed, as a guest with that email (orderCount counts all). " +
                "Consent history: every grant and withdrawal with its policy version and time, oldest first. An erased account shows only what erasure kept.";
        });
    }

    public sealed class Request
    {
        [RouteParam]
        public Guid Id { get; set; }
    }

    public override async Task<Results<Ok<CustomerDetail>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (id, http) = (req.Id, HttpContext);
        await using var conn = await db.OpenConnectionAsync(ct);
        var user = await conn.QuerySingleOrDefaultAsync<UserRow>($"""
            select u.id, u.email, u.first_name, u.last_name, u.email_confirmed, u.created_at, u.erased_at,
                   coalesce((select array_agg(r.role order by r.role) from user_roles r where r.user_id = u.id), array[]::text[]) as roles,
                   (select count(*) from orders o where {CustomerQueries.OrdersOf})::int as order_count
            from users u where u.id = @id
            """, new { id });
        if (user is null)
        {
            return NotFound($"No account has the id {id}.");
        }
        var orders = (await conn.QueryAsync<OrderQueries.SummaryRow>($"""
            {OrderQueries.SummarySelect}
            join users u on u.id = @id
            where {CustomerQueries.OrdersOf}
            order by o.created_at desc, o.id desc limit 50
            """, new { id })).ToList();
        var detail = new CustomerDetail(user.Id, user.Email, user.FirstName, user.LastName, user.EmailConfirmed, user.Roles,
            OrderStore.Utc(user.CreatedAt), user.ErasedAt is { } erased ? OrderStore.Utc(erased) : null, user.OrderCount,
            (await OrderQueries.ToPageAsync(orders, 50, vault, ct)).Items, await AddressRules.ListAsync(conn, id), await ConsentQueries.HistoryAsync(conn, id));
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(detail);
    }

    private sealed class UserRow
    {
        public Guid Id { get; init; }
        public string Email { get; init; } = "";
        public string? FirstName { get; init; }
        public string? LastName { get; init; }
        public bool EmailConfirmed { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime? ErasedAt { get; init; }
        public string[] Roles { get; init; } = [];
        public int OrderCount { get; init; }
    }
}
