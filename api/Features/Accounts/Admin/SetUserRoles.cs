using System.Text.Json.Nodes;
using Dapper;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts.Admin;

public static class SetUserRoles
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPut("/users/{id:guid}/roles", Handle)
        .WithName("SetUserRoles")
        .WithSummary("Replace a user's roles (customer, staff, admin); the user is signed out so the change applies at once")
        .Validate<SetRolesRequest>()
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Results<Ok<Me>, ProblemHttpResult>> Handle(
        Guid id, SetRolesRequest request, HttpContext http, UserManager<HeadlessUser> users, Sessions sessions, SignIns signIns,
        AccountsDb accounts, CancellationToken ct)
    {
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
