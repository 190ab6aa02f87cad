using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Accounts.Identity;

/// <summary>The claims a signed-in user carries: id, email, roles, security stamp, forced password change.</summary>
public sealed class HeadlessClaimsFactory(UserManager<HeadlessUser> users, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<HeadlessUser>(users, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(HeadlessUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        foreach (var role in await UserManager.GetRolesAsync(user))
        {
            identity.AddClaim(new Claim(ClaimTypes.Role, role));
        }
        if (user.MustChangePassword)
        {
            identity.AddClaim(new Claim(AccountClaims.MustChangePassword, "true"));
        }
        return identity;
    }
}
