using Headless.Api.Features.Accounts.Addresses;
using Headless.Api.Features.Accounts.Admin;
using Headless.Api.Features.Accounts.Auth;
using Headless.Api.Features.Accounts.Consents;
using Headless.Api.Features.Accounts.Gdpr;
using Headless.Api.Features.Accounts.Mfa;
using Headless.Api.Features.Accounts.Profile;
using Headless.Api.Platform.Security;
using Microsoft.AspNetCore.Mvc;

namespace Headless.Api.Features.Accounts;

public static class AccountsEndpoints
{
    private static readonly ProducesResponseTypeMetadata InternalError =
        new(StatusCodes.Status500InternalServerError, typeof(ProblemDetails), ["application/problem+json"]);

    public static void MapAccounts(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/v1/auth").WithTags("Auth").AllowAnonymous().WithMetadata(InternalError);
        Register.Map(auth);
        ConfirmEmail.Map(auth);
        ResendConfirmation.Map(auth);
        Login.Map(auth);
        Refresh.Map(auth);
        ForgotPassword.Map(auth);
        ResetPassword.Map(auth);
        GetCsrfToken.Map(auth);
        ExternalLogin.Map(auth);
        var signedInAuth = app.MapGroup("/api/v1/auth").WithTags("Auth").WithMetadata(InternalError, Unauthorized);
        Logout.Map(signedInAuth);

        var account = app.MapGroup("/api/v1/account").WithTags("Account").RequireAuthorization(Policies.SignedIn)
            .WithMetadata(InternalError, Unauthorized);
        GetMe.Map(account);
        UpdateProfile.Map(account);
        ChangePassword.Map(account);
        GetMfaStatus.Map(account);
        StartAuthenticator.Map(account);
        VerifyAuthenticator.Map(account);
        RegenerateRecoveryCodes.Map(account);
        DisableMfa.Map(account);
        ListAddresses.Map(account);
        AddAddress.Map(account);
        UpdateAddress.Map(account);
        DeleteAddress.Map(account);
        GetConsents.Map(account);
        RecordConsent.Map(account);
        ExportMyData.Map(account);
        EraseMyAccount.Map(account);
    }

    /// <summary>Admin routes for people and keys; the caller maps them inside the admin group.</summary>
    public static void MapAccountsAdmin(RouteGroupBuilder admin)
    {
        var group = admin.MapGroup("").WithTags("Admin accounts").RequireAuthorization(Policies.Admin);
        ListUsers.Map(group);
        SetUserRoles.Map(group);
        CreateApiKey.Map(group);
        ListApiKeys.Map(group);
        RevokeApiKey.Map(group);
        ExportCustomerData.Map(group);
        EraseCustomer.Map(group);
    }

    private static readonly ProducesResponseTypeMetadata Unauthorized =
        new(StatusCodes.Status401Unauthorized, typeof(ProblemDetails), ["application/problem+json"]);
}
