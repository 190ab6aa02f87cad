using Dapper;
using FastEndpoints;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Accounts.Admin;

public sealed class RevokeStaffInvitation(AccountsDb accounts) : Endpoint<RevokeStaffInvitation.Request, Results<NoContent, ProblemHttpResult>>
{
    public override void Configure()
    {
        Delete("/staff-invitations/{id:guid}");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.AdminInPerson);
        Description(b => b.WithName("RevokeStaffInvitation").WithTags("Admin staff")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s =>
        {
            s.Summary = "Revoke a staff invitation: its link stops working at once";
            s.Description = "Repeating it changes nothing. An accepted invitation cannot be revoked (409): revoke the staff member instead.";
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
        var actor = Actor.From(http);
        var log = await accounts.BeginAsync(actor, ct);
        var invitation = await StaffInvitations.FindAsync(log.Connection, log.Transaction, id);
        if (invitation is null)
        {
            return NotFound($"No staff invitation has the id {id}.");
        }
        if (invitation.Status == "accepted")
        {
            return Conflict("This invitation was accepted already: revoke the staff member in the staff list instead.");
        }
        var revoked = await log.Connection.ExecuteAsync("""
            update staff_invitations set revoked_at = now(), revoked_by = @by where id = @id and accepted_at is null and revoked_at is null
            """, new { id, by = actor.Id }, log.Transaction);
        if (revoked > 0)
        {
            await log.AuditAsync("staff.invitation-revoked", "staff_invitation", id.ToString(), null, null);
        }
        await accounts.CommitAsync(ct);
        return TypedResults.NoContent();
    }
}
