using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Accounts.Admin;

public sealed class ListStaffInvitations(NpgsqlDataSource db, PersonalDataVault vault) : Endpoint<ListStaffInvitations.Request, Results<Ok<StaffInvitationPage>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/staff-invitations");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("ListStaffInvitations").WithTags("Admin staff").ProducesValidationProblem());
        Summary(s =>
        {
            s.Summary = "List staff invitations, newest first: pending ones by default";
            s.Description = "status: pending (default), accepted, revoked, expired or all. Cursor pagination: limit 1-100, default 50.";
        });
    }

    public sealed class Request
    {
        /// <summary>pending (default), accepted, revoked, expired or all.</summary>
        public string? Status { get; set; }
        /// <summary>The nextCursor of the previous page.</summary>
        public string? Cursor { get; set; }
        /// <summary>Page size, 1-100, default 50.</summary>
        public int? Limit { get; set; }
    }

    private static readonly string[] Statuses = ["pending", "accepted", "revoked", "expired", "all"];

    public override async Task<Results<Ok<StaffInvitationPage>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (status, cursor, limit, http) = (req.Status ?? "pending", req.Cursor, req.Limit ?? 50, HttpContext);
        if (!Statuses.Contains(status))
        {
            return Validation("status", $"Use one of: {string.Join(", ", Statuses)}.");
        }
        if (limit is < 1 or > 100)
        {
            return Validation("limit", "Use a limit from 1 to 100.");
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
        await using var conn = await db.OpenConnectionAsync(ct);
        // Invitation ids are UUIDv7: id order is creation order, and the primary key serves the keyset.
        var rows = (await conn.QueryAsync<StaffInvitations.Row>($"""
            select * from (select {StaffInvitations.Columns} from staff_invitations i
                           where (@after::uuid is null or i.id < @after)
                             and (@status <> 'pending' or (i.accepted_at is null and i.revoked_at is null and i.expires_at > now()))) t
            where @status = 'all' or t.status = @status
            order by t.id desc
            limit @take
            """, new { status, after, take = limit + 1 })).ToList();
        var items = await StaffInvitations.ToContractsAsync(vault, rows.Take(limit).ToList(), ct);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new StaffInvitationPage(items, rows.Count > limit ? items[^1].Id.ToString() : null));
    }
}
