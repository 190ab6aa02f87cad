using System.Text.Json.Nodes;
using Dapper;
using FastEndpoints;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Accounts.Admin;

public sealed class RevokeStaff(AccountsDb accounts, Sessions sessions) : Endpoint<RevokeStaff.Request, Results<NoContent, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/staff/{id:guid}/revocation");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.AdminInPerson);
        // Route values only: the generated C# client sends an empty JSON body on bodyless POSTs.
        RequestBinder(new RequestBinder<Request>(BindingSource.RouteValues));
        Description(b => b.WithName("RevokeStaff").WithTags("Admin staff")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s =>
        {
            s.Summary = "Revoke a staff member: every staff role (staff, admin) is removed and all their sessions end at once";
            s.Description = "Only an admin signed in with two-factor authentication may do this (an API key gets 403). A customer role stays. " +
                "409 for your own account or the last admin. Repeating it changes nothing.";
        });
    }

    public sealed class Request
    {
        [RouteParam]
        public Guid Id { get; set; }
    }

    public override async Task<Results<NoContent, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (id, http) = (req.Id, HttpContext);
        if (http.User.UserId() == id)
        {
            return Conflict("You cannot revoke yourself: ask another admin.");
        }
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        // The same lock as role changes, so two admins cannot revoke each other into having no admin at all.
        await log.Connection.ExecuteAsync("select pg_advisory_xact_lock(hashtext('headless.roles'))", transaction: log.Transaction);
        var roles = await log.Connection.QuerySingleOrDefaultAsync<string[]?>("""
            select coalesce((select array_agg(r.role order by r.role) from user_roles r where r.user_id = u.id), array[]::text[])
            from users u where u.id = @id
            """, new { id }, log.Transaction);
        if (roles is null)
        {
            return NotFound($"No account has the id {id}.");
        }
        var removed = roles.Intersect(StaffInvitations.Roles).ToArray();
        if (removed.Contains(AccountRoles.Admin))
        {
            var admins = await log.Connection.ExecuteScalarAsync<long>(
                "select count(*) from user_roles r join users u on u.id = r.user_id where r.role = 'admin' and u.erased_at is null", transaction: log.Transaction);
            if (admins <= 1)
            {
                return Conflict("This is the last admin. Make someone else admin first.");
            }
        }
        if (removed.Length > 0)
        {
            await log.Connection.ExecuteAsync("delete from user_roles where user_id = @id and role = any(@removed)", new { id, removed }, log.Transaction);
            // A new security stamp as well: nothing issued before this moment is honoured again.
            await log.Connection.ExecuteAsync("update users set security_stamp = @stamp, updated_at = now() where id = @id",
                new { id, stamp = Guid.NewGuid().ToString("N") }, log.Transaction);
            await sessions.RevokeAllAsync(log.Connection, log.Transaction, id, "staff access revoked");
            await AccountAudit.RecordAsync(log, "staff.revoked", id, new JsonObject
            {
                ["before"] = new JsonArray([.. roles.Select(r => JsonValue.Create(r))]),
                ["after"] = new JsonArray([.. roles.Except(removed).Select(r => JsonValue.Create(r))]),
            });
        }
        await accounts.CommitAsync(ct);
        return TypedResults.NoContent();
    }
}
