using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Accounts.Admin;

/// <summary>Registered customer accounts, newest first. Guests are not accounts: their orders are found by
/// email in the orders list. The search is a substring of email, first or last name, case-insensitive,
/// served by a trigram index (migration 0014); the keyset is the account id (UUIDv7, so newest first).</summary>
public sealed class ListCustomers(NpgsqlDataSource db) : Endpoint<ListCustomers.Request, Results<Ok<CustomerPage>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/customers");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("ListCustomers").WithTags("Admin customers").ProducesValidationProblem());
        Summary(s =>
        {
            s.Summary = "List customer accounts, newest first, optionally searched by email or name";
            s.Description = "Registered accounts with the customer role (guest orders are found by email in GET /api/v1/admin/orders). " +
                "q matches a part of the email, first or last name, any case (at least 2 characters). Cursor pagination: limit 1-100, default 50.";
        });
    }

    public sealed class Request
    {
        /// <summary>Part of an email address or name, 2-100 characters.</summary>
        public string? Q { get; set; }
        /// <summary>The nextCursor of the previous page.</summary>
        public string? Cursor { get; set; }
        /// <summary>Page size, 1-100, default 50.</summary>
        public int? Limit { get; set; }
    }

    public override async Task<Results<Ok<CustomerPage>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (q, cursor, limit, http) = (req.Q?.Trim(), req.Cursor, req.Limit ?? 50, HttpContext);
        if (limit is < 1 or > 100)
        {
            return Validation("limit", "Use a limit from 1 to 100.");
        }
        if (q is { Length: < 2 or > 100 } || q?.Any(char.IsControl) == true)
        {
            return Validation("q", "Search with 2 to 100 characters of an email address or name.");
        }
        Guid? after = null;
        if (cursor is not null)
        {
            if (!Guid.TryParse(cursor, out var parsed))
            {
                return Validation("cursor", "Use the nextCursor of the previous page unchanged.");
            }
            after = parsed;
        }
        var pattern = q is null ? null : "%" + q.ToLowerInvariant().Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = (await conn.QueryAsync<Row>($"""
            select u.id, u.email, u.first_name, u.last_name, u.email_confirmed, u.created_at, u.erased_at,
                   (select count(*) from orders o where {CustomerQueries.OrdersOf})::int as order_count
            from users u
            where exists (select 1 from user_roles r where r.user_id = u.id and r.role = 'customer')
              and (@pattern::text is null or customer_search_text(u.email, u.first_name, u.last_name) like @pattern)
              and (@after::uuid is null or u.id < @after)
            order by u.id desc
            limit @take
            """, new { pattern, after, take = limit + 1 })).ToList();
        var items = rows.Take(limit).Select(r => new CustomerSummary(r.Id, r.Email, r.FirstName, r.LastName, r.EmailConfirmed, r.OrderCount,
            Utc(r.CreatedAt), r.ErasedAt is { } erased ? Utc(erased) : null)).ToList();
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new CustomerPage(items, rows.Count > limit ? items[^1].Id.ToString() : null));
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private sealed class Row
    {
        public Guid Id { get; init; }
        public string Email { get; init; } = "";
        public string? FirstName { get; init; }
        public string? LastName { get; init; }
        public bool EmailConfirmed { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime? ErasedAt { get; init; }
        public int OrderCount { get; init; }
    }
}
