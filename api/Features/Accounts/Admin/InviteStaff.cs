using System.Text.Json.Nodes;
using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Features.Email;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Accounts.Admin;

public sealed class InviteStaff(UserManager<HeadlessUser> users, AccountsDb accounts, PersonalDataVault vault, IOptions<AccountsOptions> options)
    : Endpoint<InviteStaff.Request, Results<Created<StaffInvitation>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/staff-invitations");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.AdminInPerson);
        Description(b => b.WithName("InviteStaff").WithTags("Admin staff")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable));
        Summary(s =>
        {
            s.Summary = "Invite a staff member by email with roles (staff, admin): a one-time link valid 72 hours sets their password";
            s.Description = "Only an admin signed in with two-factor authentication may invite (an API key gets 403). The link's token is stored hashed. " +
                "409 when an account already uses the address (set its roles instead) or an invitation to it is still open (revoke that one first). " +
                "The new staff member must turn on two-factor authentication before any admin route answers them. " +
                "The address is kept in the personal-data vault of this API's region (a person from the invitation on), not in the core database.";
        });
    }

    public sealed class Request : JsonBody<InviteStaffRequest>;

    public sealed class Validator(IValidator<InviteStaffRequest> rules) : JsonBodyValidator<Request, InviteStaffRequest>(rules);

    public override async Task<Results<Created<StaffInvitation>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
        var email = request.Email!.Trim();
        var roles = request.Roles!.Distinct().Order(StringComparer.Ordinal).ToArray();
        var actor = Actor.From(http);
        var log = await accounts.BeginAsync(actor, ct);
        if (await users.FindByEmailAsync(email) is not null)
        {
            return Conflict("An account already uses this address: give it staff roles in the staff list instead.");
        }
        // The invitee becomes a person of this API's region (staff are where the shop is), or is the person a guest
        // order already made with the address.
        var person = await vault.FindOrCreateByEmailInRegionAsync(email, vault.Region, ct);
        // An invitation that ran out frees its address for a new one.
        await log.Connection.ExecuteAsync("""
            update staff_invitations set revoked_at = now(), revoked_by = 'system:expired'
            where person_id = @Id and accepted_at is null and revoked_at is null and expires_at <= now()
            """, new { person.Id }, log.Transaction);
        var token = StaffInvitations.NewToken();
        var id = Guid.CreateVersion7();
        var inserted = await log.Connection.ExecuteAsync("""
            insert into staff_invitations (id, person_id, person_region, roles, token_hash, invited_by, expires_at)
            values (@id, @personId, @personRegion, @roles, @hash, @invitedBy, now() + @lifetime)
            on conflict (person_id) where accepted_at is null and revoked_at is null and person_id is not null do nothing
            """, new { id, personId = person.Id, personRegion = person.Region, roles, hash = StaffInvitations.Hash(token), invitedBy = actor.Id, lifetime = StaffInvitations.Lifetime }, log.Transaction);
        if (inserted == 0)
        {
            return Conflict("An invitation to this address is still open. Revoke it first to send a new one.");
        }
        var inviter = http.User.UserId() is { } inviterId ? (await users.FindByIdAsync(inviterId.ToString()))?.Email : null;
        await EmailQueue.EnqueueAsync(log, new EmailRequest("staff-invitation", email, "",
            new JsonObject
            {
                ["inviter"] = inviter ?? "An admin",
                ["roles"] = string.Join(" and ", roles),
                ["link"] = StaffInvitations.Link(options.Value.PublicBaseUrl, token),
                ["expiresInHours"] = (int)StaffInvitations.Lifetime.TotalHours,
            }, null));
        // The audit row names the invitation and roles, never the address (erasure leaves nothing personal in the log).
        await log.AuditAsync("staff.invited", "staff_invitation", id.ToString(), null,
            new JsonObject { ["roles"] = new JsonArray([.. roles.Select(r => JsonValue.Create(r))]) }.ToJsonString());
        var created = await StaffInvitations.FindAsync(log.Connection, log.Transaction, id);
        await accounts.CommitAsync(ct);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"/api/v1/admin/staff-invitations/{id}", created!.ToContract(email));
    }
}

public sealed class InviteStaffRequestValidator : AbstractValidator<InviteStaffRequest>
{
    public InviteStaffRequestValidator()
    {
        RuleFor(r => r.Email).EmailAddress();
        RuleFor(r => r.Roles).NotEmpty().WithMessage("Give at least one role: staff or admin.")
            .Must(r => r is null || r.All(StaffInvitations.Roles.Contains)).WithMessage("Staff roles are staff and admin.");
    }
}
