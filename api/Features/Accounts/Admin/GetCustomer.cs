using Dapper;
using FastEndpoints;
using Headless.Api.Features.Accounts.Addresses;
using Headless.Api.Features.Accounts.Consents;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Features.Orders;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Accounts.Admin;

public sealed class GetCustomer(AccountsDb accounts, PersonalDataVault vault) : Endpoint<GetCustomer.Request, Results<Ok<CustomerDetail>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/customers/{id:guid}");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("GetCustomer").WithTags("Admin customers").ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status421MisdirectedRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable));
        Summary(s =>
        {
            s.Summary = "A customer's profile, latest orders, addresses and consent history";
            s.Description = "Orders: the 50 newest placed while signed in or, once the email is confirmed, as a guest with that email (orderCount counts all). " +
                "Consent history: every grant and withdrawal with its policy version and time, oldest first. An erased account shows only what erasure kept. " +
                "Email, names and addresses are decrypted from the customer's regional vault, and each read is recorded in the audit log " +
                "(customer.personal_data_viewed, naming the account id and the staff member, nothing personal). " +
                "The ETag (\"v{version}\") is what a move to the other region (POST .../region-move) sends in If-Match. " +
                "421 wrong-region when the customer's data is kept in the region another API serves; 503 vault-unavailable (Retry-After) while the vault cannot be reached.";
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
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var (conn, tx) = (log.Connection, log.Transaction);
        var user = await conn.QuerySingleOrDefaultAsync<UserRow>($"""
            select u.id, u.person_id, u.person_region, u.version, u.email_confirmed, u.created_at, u.erased_at,
                   coalesce((select array_agg(r.role order by r.role) from user_roles r where r.user_id = u.id), array[]::text[]) as roles,
                   (select count(*) from orders o where {CustomerQueries.OrdersOf})::int as order_count
            from users u where u.id = @id
            """, new { id }, tx);
        if (user is null)
        {
            return NotFound($"No account has the id {id}.");
        }
        var orders = (await conn.QueryAsync<OrderQueries.SummaryRow>($"""
            {OrderQueries.SummarySelect}
            join users u on u.id = @id
            where {CustomerQueries.OrdersOf}
            order by o.created_at desc, o.id desc limit 50
            """, new { id }, tx)).ToList();
        var fields = AccountFields.PersonOf(user.PersonId, user.PersonRegion) is { } person ? await vault.GetAsync(person, ct) : null;
        var detail = new CustomerDetail(user.Id, fields.Get(AccountFields.Email) ?? AccountFields.ErasedEmail(user.Id), fields.Get(AccountFields.FirstName),
            fields.Get(AccountFields.LastName), user.EmailConfirmed, user.Roles,
            OrderStore.Utc(user.CreatedAt), user.ErasedAt is { } erased ? OrderStore.Utc(erased) : null, user.OrderCount,
            (await OrderQueries.ToPageAsync(orders, 50, vault, ct)).Items, await AddressRules.ListAsync(conn, id, fields, tx), await ConsentQueries.HistoryAsync(conn, id, tx),
            user.ErasedAt is null ? user.PersonRegion : null, user.Version);
        // A staff read of personal data is on the record: who looked at whose account, never what they saw.
        await AccountAudit.RecordAsync(log, "customer.personal_data_viewed", id);
        await accounts.CommitAsync(ct);
        http.Response.Headers.CacheControl = "no-store";
        Versions.SetETag(http, user.Version);
        return TypedResults.Ok(detail);
    }

    private sealed class UserRow
    {
        public Guid Id { get; init; }
        public Guid? PersonId { get; init; }
        public string? PersonRegion { get; init; }
        public int Version { get; init; }
        public bool EmailConfirmed { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime? ErasedAt { get; init; }
        public string[] Roles { get; init; } = [];
        public int OrderCount { get; init; }
    }
}
