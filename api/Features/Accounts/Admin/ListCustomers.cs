using Dapper;
using FastEndpoints;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Accounts.Admin;

/// <summary>Registered customer accounts, newest first. Guests are not accounts: their orders are found by
/// email in the orders list. Emails and names are vault fields (issue 15): a page is decrypted with one vault query
/// per region, and the search is an exact email (any case) found through the vault's blind index; a substring of a
/// name or email cannot be searched, core holds only ciphertext's owners. The keyset is the account id (UUIDv7).</summary>
public sealed class ListCustomers(NpgsqlDataSource db, PersonalDataVault vault) : Endpoint<ListCustomers.Request, Results<Ok<CustomerPage>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/customers");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("ListCustomers").WithTags("Admin customers").ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable));
        Summary(s =>
        {
            s.Summary = "List customer accounts, newest first, optionally found by their exact email address";
            s.Description = "Registered accounts with the customer role (guest orders are found by email in GET /api/v1/admin/orders). " +
                "q is a whole email address, any case: the account with it, found through the personal-data vault's blind index. " +
                "Names and parts of addresses cannot be searched: they are kept encrypted in the customer's regional vault. " +
                "Cursor pagination: limit 1-100, default 50. 503 vault-unavailable (Retry-After) while a vault cannot be reached.";
        });
    }

    public sealed class Request
    {
        /// <summary>A whole email address (exact match, any case).</summary>
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
        if (q is { Length: 0 or > 254 } || q?.Any(char.IsControl) == true || (q is not null && !q.Contains('@')))
        {
            return Validation("q", "Search with a whole email address, like ana@example.com: names and parts of addresses are encrypted and cannot be searched.");
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
        PersonRef? found = null;
        if (q is not null && (found = await vault.FindByEmailAsync(q, ct)) is null)
        {
            http.Response.Headers.CacheControl = "no-store";
            return TypedResults.Ok(new CustomerPage([], null));
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = (await conn.QueryAsync<Row>($"""
            select u.id, u.person_id, u.person_region, u.email_confirmed, u.created_at, u.erased_at,
                   (select count(*) from orders o where {CustomerQueries.OrdersOf})::int as order_count
            from users u
            where exists (select 1 from user_roles r where r.user_id = u.id and r.role = 'customer')
              and (@person::uuid is null or (u.person_id = @person and u.person_region = @region))
              and (@after::uuid is null or u.id < @after)
            order by u.id desc
            limit @take
            """, new { person = found?.Id, region = found?.Region, after, take = limit + 1 })).ToList();
        var page = rows.Take(limit).ToList();
        var people = await vault.GetManyAsync(page.Select(r => AccountFields.PersonOf(r.PersonId, r.PersonRegion)).OfType<PersonRef>(), ct);
        var items = page.Select(r =>
        {
            var fields = AccountFields.PersonOf(r.PersonId, r.PersonRegion) is { } p ? people.GetValueOrDefault(p) : null;
            return new CustomerSummary(r.Id, fields.Get(AccountFields.Email) ?? AccountFields.ErasedEmail(r.Id), fields.Get(AccountFields.FirstName),
                fields.Get(AccountFields.LastName), r.EmailConfirmed, r.OrderCount, Utc(r.CreatedAt), r.ErasedAt is { } erased ? Utc(erased) : null);
        }).ToList();
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new CustomerPage(items, rows.Count > limit ? items[^1].Id.ToString() : null));
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private sealed class Row
    {
        public Guid Id { get; init; }
        public Guid? PersonId { get; init; }
        public string? PersonRegion { get; init; }
        public bool EmailConfirmed { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime? ErasedAt { get; init; }
        public int OrderCount { get; init; }
    }
}
