using System.Text.Json.Nodes;
using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Accounts.Admin;

public sealed class AcceptStaffInvitation(UserManager<HeadlessUser> users, AccountsDb accounts, PersonalDataVault vault)
    : Endpoint<AcceptStaffInvitation.Request, Results<Created<Contracts.Accounts.Accepted>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/staff-invitations/acceptance");
        Group<PublicApi>();
        AllowAnonymous();
        Options(b => b.RequireRateLimiting(RateLimits.Register));
        Description(b => b.WithName("AcceptStaffInvitation").WithTags("Auth")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests));
        Summary(s =>
        {
            s.Summary = "Accept a staff invitation with the token from its email: creates the staff account with the password chosen";
            s.Description = "The token works once, within 72 hours of the invitation. The address counts as confirmed (the link reached it). " +
                "Then sign in and turn on two-factor authentication (POST /api/v1/account/mfa/authenticator): admin routes refuse staff without it. " +
                "404 for an unknown, used, revoked or expired token; 409 when an account with the address was created meanwhile.";
        });
    }

    public sealed class Request : JsonBody<AcceptStaffInvitationRequest>;

    public sealed class Validator(IValidator<AcceptStaffInvitationRequest> rules) : JsonBodyValidator<Request, AcceptStaffInvitationRequest>(rules);

    public override async Task<Results<Created<Contracts.Accounts.Accepted>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
        var policy = await AccountRules.CheckPasswordPolicyAsync(users, request.Password!);
        if (!policy.Succeeded)
        {
            return Validation(AccountRules.PasswordErrors(policy, "password"));
        }
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        var invitation = await log.Connection.QuerySingleOrDefaultAsync<(Guid Id, Guid PersonId, string PersonRegion, string[] Roles)?>("""
            select id, person_id, person_region, roles from staff_invitations
            where token_hash = @hash and accepted_at is null and revoked_at is null and expires_at > now() and person_id is not null
            for update
            """, new { hash = StaffInvitations.Hash(request.Token!.Trim()) }, log.Transaction);
        if (invitation is not { } i)
        {
            return NotFound("This invitation link is not valid: it was used, revoked or is older than 72 hours. Ask an admin for a new one.");
        }
        var person = new PersonRef(i.PersonId, i.PersonRegion);
        var email = (await vault.GetAsync(person, ct)).Get(AccountFields.Email);
        if (email is null)
        {
            return NotFound("This invitation's address was erased. Ask an admin for a new invitation.");
        }
        var user = new HeadlessUser
        {
            Email = email,
            EmailConfirmed = true,
            FirstName = request.FirstName?.Trim(),
            LastName = request.LastName?.Trim(),
            PersonId = person.Id,
            PersonRegion = person.Region,
        };
        var created = await users.CreateAsync(user, request.Password!);
        if (created.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.DuplicateEmail)))
        {
            return Conflict("An account with this address exists already: ask an admin to give it staff roles.");
        }
        if (!created.Succeeded)
        {
            return Validation(AccountRules.PasswordErrors(created, "password"));
        }
        foreach (var role in i.Roles)
        {
            await users.AddToRoleAsync(user, role);
        }
        await log.Connection.ExecuteAsync("update staff_invitations set accepted_at = now(), accepted_user_id = @userId where id = @id",
            new { userId = user.Id, i.Id }, log.Transaction);
        await AccountAudit.RecordAsync(log, "staff.invitation-accepted", user.Id, new JsonObject
        {
            ["invitation"] = i.Id.ToString(),
            ["roles"] = new JsonArray([.. i.Roles.Select(r => JsonValue.Create(r))]),
        });
        await accounts.CommitAsync(ct);
        return TypedResults.Created((string?)null, new Contracts.Accounts.Accepted(
            "Your staff account is ready. Sign in, then turn on two-factor authentication: the dashboard needs it."));
    }
}

public sealed class AcceptStaffInvitationRequestValidator : AbstractValidator<AcceptStaffInvitationRequest>
{
    public AcceptStaffInvitationRequestValidator()
    {
        RuleFor(r => r.Token).NotEmpty().WithMessage("The token from the invitation link is required.").MaximumLength(200);
        RuleFor(r => r.Password).Password();
        RuleFor(r => r.FirstName).PersonName();
        RuleFor(r => r.LastName).PersonName();
    }
}
