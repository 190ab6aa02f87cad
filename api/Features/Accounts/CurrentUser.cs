using Headless.Api.Features.Accounts.Identity;
using Microsoft.AspNetCore.Identity;

namespace Headless.Api.Features.Accounts;

public static class CurrentUser
{
    /// <summary>The signed-in user's row, or null when it no longer exists (erased, or the session outlived it).</summary>
    public static async Task<HeadlessUser?> LoadAsync(HttpContext http, UserManager<HeadlessUser> users) =>
        http.User.UserId() is { } id ? await users.FindByIdAsync(id.ToString()) : null;

    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Gone() =>
        Platform.Problems.Problems.Make(StatusCodes.Status401Unauthorized, "unauthenticated", "Authentication required", "Your account is no longer available. Sign in again.");

    /// <summary>Sensitive changes ask for the password again, so an unattended session cannot make them.</summary>
    public static async Task<bool> ReauthenticateAsync(UserManager<HeadlessUser> users, HeadlessUser user, string password)
    {
        if (await users.CheckPasswordAsync(user, password))
        {
            return true;
        }
        await users.AccessFailedAsync(user);
        return false;
    }

    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult WrongPassword() =>
        Platform.Problems.Problems.Validation("password", "The password is wrong.");
}
