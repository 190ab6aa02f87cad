using System.Text.Json.Nodes;
using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Admin;

public sealed class SetUserRoles(UserManager<HeadlessUser> users, Sessions sessions, SignIns signIns, AccountsDb accounts)
    : Endpoint<SetUserRoles.Request, Results<Ok<Me>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Put("/users/{id:guid}/roles");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.AdminInPerson);
        Description(b => b.WithName("SetUserRoles").WithTags("Admin accounts")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict));
        Summary(s =>
        {
            s.Summary = "Replace a user's roles (customer, staff, admin); the user is signed out so the change applies at once";
            s.Description = "Only an admin signed in with two-factor authentication (bearer token or cookie) may change roles: an API key, whatever its scopes, gets 403. "
                + "Removing the last admin is 409.";
        });
    }

    public sealed class Request : JsonBody<SetRolesRequest>
    {
        [RouteParam]
        public Guid Id { get; set; }
    }

    public sealed class Validator(IValidator<SetRolesRequest> rules) : JsonBodyValidator<Request, SetRolesRequest>(rules);

    public override async Task<Results<Ok<Me>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (id, request, http) = (req.Id, req.Body, HttpContext);
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        // Serialises role changes, so two admins cannot demote each other into having no admin at all.
        await log.Connection.ExecuteAsync("select pg_advisory_xact_lock(hashtext('headless.roles'))", transaction: log.Transaction);
        var user = await users.FindByIdAsync(id.ToString());
        if (user is null)
        {
            return Platform.Problems.Problems.NotFound($"No account has the id {id}.");
        }
        var before = (await users.GetRolesAsync(user)).ToList();
        var after = request.Roles!.Distinct().Order(StringComparer.Ordinal).ToList();
        if (before.Contains(AccountRoles.Admin) && !after.Contains(AccountRoles.Admin))
        {
            var admins = await log.Connection.ExecuteScalarAsync<long>(
                "select count(*) from user_roles r join users u on u.id = r.user_id where r.role = 'admin' and u.erased_at is null", transaction: log.Transaction);
            if (admins <= 1)
            {
                return Platform.Problems.Problems.Conflict("This is the last admin. Make someone else admin first.");
            }
        }
        foreach (var role in before.Except(after))
        {
            await users.RemoveFromRoleAsync(user, role);
        }
        foreach (var role in after.Except(before))
        {
            await users.AddToRoleAsync(user, role);
        }
        if (!before.SequenceEqual(after))
        {
            await sessions.RevokeAllAsync(log.Connection, log.Transaction, user.Id, "roles changed");
            await AccountAudit.RecordAsync(log, "user.roles-changed", user.Id, new JsonObject
            {
                ["before"] = new JsonArray([.. before.Select(r => JsonValue.Create(r))]),
                ["after"] = new JsonArray([.. after.Select(r => JsonValue.Create(r))]),
            });
        }
        await accounts.CommitAsync(ct);
        return TypedResults.Ok(await signIns.MeAsync(user));
    }
}

public sealed class SetRolesRequestValidator : AbstractValidator<SetRolesRequest>
{
    public SetRolesRequestValidator()
    {
        RuleFor(r => r.Roles).NotNull().WithMessage("Send the complete list of roles (it may be empty).")
            .Must(r => r is null || r.All(AccountRoles.All.Contains)).WithMessage("Roles are customer, staff and admin.");
    }
}
