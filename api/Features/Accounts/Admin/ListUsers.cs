using Dapper;
using FastEndpoints;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Accounts.Admin;

public sealed class ListUsers(NpgsqlDataSource db, PersonalDataVault vault) : Endpoint<ListUsers.Request, Results<Ok<UserPage>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/users");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("ListUsers").WithTags("Admin accounts").ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable));
        Summary(s =>
        {
            s.Summary = "List accounts, newest first, optionally only those with a role";
            s.Description = "Emails and names are decrypted from each person's regional vault, one vault query per region and page. "
                + "503 vault-unavailable (Retry-After) while a vault cannot be reached.";
        });
    }

    public sealed class Request
    {
        /// <summary>customer, staff or admin</summary>
        public string? Role { get; set; }
        /// <summary>The nextCursor of the previous page.</summary>
        public string? Cursor { get; set; }
        /// <summary>Page size, 1-100, default 50.</summary>
        public int? Limit { get; set; }
    }

    public override async Task<Results<Ok<UserPage>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (role, cursor, limit, http) = (req.Role, req.Cursor, req.Limit, HttpContext);
        var take = limit ?? 50;
        if (take is < 1 or > 100)
        {
            return Platform.Problems.Problems.Validation("limit", "Use a limit from 1 to 100.");
        }
        if (role is not null && !Identity.AccountRoles.All.Contains(role))
        {
            return Platform.Problems.Problems.Validation("role", "Use customer, staff or admin.");
        }
        Guid? after = null;
        if (cursor is not null)
        {
            if (!Guid.TryParse(cursor, out var parsed))
            {
                return Platform.Problems.Problems.Validation("cursor", "Use the nextCursor of the previous page unchanged.");
            }
            after = parsed;
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = (await conn.QueryAsync<Row>("""
            select u.id, u.person_id, u.person_region, u.email_confirmed, u.two_factor_enabled, u.created_at, u.erased_at,
                   coalesce((select array_agg(r.role order by r.role) from user_roles r where r.user_id = u.id), '{}') as roles
            from users u
            where (@role::text is null or exists (select 1 from user_roles r where r.user_id = u.id and r.role = @role))
              and (@after::uuid is null or u.id < @after)
            order by u.id desc
            limit @take
            """, new { role, after, take = take + 1 })).ToList();
        var page = rows.Take(take).ToList();
        var people = await vault.GetManyAsync(page.Select(r => AccountFields.PersonOf(r.PersonId, r.PersonRegion)).OfType<PersonRef>(), ct);
        var items = page.Select(r =>
        {
            var fields = AccountFields.PersonOf(r.PersonId, r.PersonRegion) is { } p ? people.GetValueOrDefault(p) : null;
            return new UserSummary(r.Id, fields.Get(AccountFields.Email) ?? AccountFields.ErasedEmail(r.Id), fields.Get(AccountFields.FirstName),
                fields.Get(AccountFields.LastName), r.Roles, r.EmailConfirmed, r.TwoFactorEnabled, r.CreatedAt, r.ErasedAt);
        }).ToList();
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new UserPage(items, rows.Count > take ? items[^1].Id.ToString() : null));
    }

    private sealed class Row
    {
        public Guid Id { get; init; }
        public Guid? PersonId { get; init; }
        public string? PersonRegion { get; init; }
        public bool EmailConfirmed { get; init; }
        public bool TwoFactorEnabled { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime? ErasedAt { get; init; }
        public string[] Roles { get; init; } = [];
    }
}
