namespace Headless.Api.Features.Accounts.Auth;

/// <summary>
/// Social login (Google, Facebook) through ASP.NET Core's OAuth handler. The browser is sent to the
/// provider (<see cref="StartExternalLogin"/>), comes back to the handler's callback, then to
/// <see cref="CompleteExternalLogin"/>: a known login signs in; otherwise a verified email that matches
/// an account links to it; otherwise a new customer is created. An account with MFA on is neither signed
/// in nor linked there: the browser goes on to the storefront's code page, which sends the code to
/// <see cref="CompleteSecondFactor"/> (<see cref="SecondFactor"/> keeps the pending sign-in meanwhile).
/// </summary>
public static class ExternalLogin
{
    /// <summary>The storefront page (the account widget) that asks for the code of a social sign-in.</summary>
    public const string SecondFactorPage = "/account/second-factor/";

    /// <summary>Only paths on this site: an open redirect would let a phishing link borrow our domain.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 and < 500 } && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal) && !returnUrl.Any(char.IsControl)
            ? returnUrl
            : "/account";
}
