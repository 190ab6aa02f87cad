using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Orders.Admin;

public sealed class ListOrders(NpgsqlDataSource db, PersonalDataVault vault) : Endpoint<ListOrders.Request, Results<Ok<OrderPage>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/orders");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("ListOrders").WithTags("Admin orders")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status421MisdirectedRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable));
        Summary(s =>
        {
            s.Summary = "List orders, newest first, by status, placed date, customer (email or account id), total range or order number";
            s.Description = "Filters combine. Totals are minor units of the order's currency. Pages are keyset-paginated (cursor = the previous page's nextCursor, limit 1-100, default 20). " +
                "Emails are read from the customers' personal-data vaults (one query per region and page); the email filter finds the person by the vault's " +
                "blind index, so it matches whole addresses only, and orders placed before the vaults are not found by it. An erased customer's order shows " +
                "contactErased and no email. 421: an order on the page belongs to a person of the region this API does not serve; 503 (Retry-After): a vault " +
                "cannot be reached.";
        });
    }

    public sealed class Request
    {
        /// <summary>One of pending_payment, paid, fulfilled, delivered, canceled, refunded, partially_refunded.</summary>
        public string? Status { get; set; }
        /// <summary>Exact customer email (case-insensitive), looked up in the personal-data vaults' blind index.</summary>
        public string? Email { get; set; }
        /// <summary>An order number such as HL-100001.</summary>
        public string? Number { get; set; }
        /// <summary>The customer's account id (orders placed while signed in).</summary>
        public Guid? CustomerId { get; set; }
        /// <summary>Only orders with a total of at least this many minor units.</summary>
        public long? TotalMin { get; set; }
        /// <summary>Only orders with a total of at most this many minor units.</summary>
        public long? TotalMax { get; set; }
        /// <summary>Only orders placed at or after this time (ISO 8601).</summary>
        public DateTimeOffset? CreatedFrom { get; set; }
        /// <summary>Only orders placed before this time (ISO 8601).</summary>
        public DateTimeOffset? CreatedTo { get; set; }
        public string? Cursor { get; set; }
        public int? Limit { get; set; }
    }

    public override async Task<Results<Ok<OrderPage>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (status, email, number, customerId, totalMin, totalMax, createdFrom, createdTo, cursor, limit) =
            (req.Status, req.Email, req.Number, req.CustomerId, req.TotalMin, req.TotalMax, req.CreatedFrom, req.CreatedTo, req.Cursor, req.Limit);
        if (status is not null && !OrderStatus.All.Contains(status))
        {
            return Validation("status", $"Use one of: {string.Join(", ", OrderStatus.All)}.");
        }
        if (email?.Length > 254 || number?.Length > 40)
        {
            return Validation(email?.Length > 254 ? "email" : "number", "Too long.");
        }
        if (totalMin < 0 || totalMax < 0)
        {
            return Validation(totalMin < 0 ? "totalMin" : "totalMax", "Totals are zero or more minor units.");
        }
        if (totalMin > totalMax)
        {
            return Validation("totalMax", "totalMax is below totalMin.");
        }
        if (createdFrom > createdTo)
        {
            return Validation("createdTo", "createdTo is before createdFrom.");
        }
        var page = OrderQueries.ParsePage(cursor, limit);
        if (page.Problem is not null)
        {
            return page.Problem;
        }
        PersonRef? person = null;
        if (email is not null && (person = await vault.FindByEmailAsync(email, ct)) is null)
        {
            return TypedResults.Ok(new OrderPage([], null));
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = (await conn.QueryAsync<OrderQueries.SummaryRow>($"""
            {OrderQueries.SummarySelect}
            where (@status::text is null or o.status = @status)
              and (@personId::uuid is null or (o.person_id = @personId and o.person_region = @personRegion))
              and (@number::text is null or o.number = upper(@number))
              and (@customerId::uuid is null or o.customer_id = @customerId)
              and (@totalMin::bigint is null or o.total >= @totalMin)
              and (@totalMax::bigint is null or o.total <= @totalMax)
              and (@createdFrom::timestamptz is null or o.created_at >= @createdFrom)
              and (@createdTo::timestamptz is null or o.created_at < @createdTo)
              {OrderQueries.AfterCursor}
            {OrderQueries.Newest}
            """, new { status, personId = person?.Id, personRegion = person?.Region, number, customerId, totalMin, totalMax, createdFrom = createdFrom?.UtcDateTime, createdTo = createdTo?.UtcDateTime, page.AfterAt, page.AfterId, take = page.Limit + 1 })).ToList();
        return TypedResults.Ok(await OrderQueries.ToPageAsync(rows, page.Limit, vault, ct));
    }
}
