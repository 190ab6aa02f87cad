namespace Headless.Api.Features.Accounts;

public sealed class AccountsOptions
{
    public const string Section = "Headless:Accounts";

    /// <summary>Where shoppers open the links in emails (the storefront), e.g. https://shop.example.</summary>
    public string PublicBaseUrl { get; set; } = "http://127.0.0.1:5080";

    /// <summary>The first admin account, created on first start with a password printed once.</summary>
    public string AdminEmail { get; set; } = "admin@headless.local";

    public string PrivacyPolicyVersion { get; set; } = "2026-11";

    /// <summary>The name authenticator apps show next to the account.</summary>
    public string Issuer { get; set; } = "Headless Shop";

    /// <summary>Requests per minute per client IP.</summary>
    public int LoginPerMinute { get; set; } = 10;
    public int RegisterPerMinute { get; set; } = 5;
    public int ForgotPasswordPerMinute { get; set; } = 5;

    public OAuthProviderOptions Google { get; set; } = new()
    {
        AuthorizationEndpoint = "https://accounts.google.com/o/oauth2/v2/auth",
        TokenEndpoint = "https://oauth2.googleapis.com/token",
        UserInformationEndpoint = "https://openidconnect.googleapis.com/v1/userinfo",
    };

    public OAuthProviderOptions Facebook { get; set; } = new()
    {
        AuthorizationEndpoint = "https://www.facebook.com/v19.0/dialog/oauth",
        TokenEndpoint = "https://graph.facebook.com/v19.0/oauth/access_token",
        UserInformationEndpoint = "https://graph.facebook.com/v19.0/me?fields=id,name,email,first_name,last_name",
    };
}

/// <summary>A social login is on when its ClientId and ClientSecret are set; the endpoints default to the provider's.</summary>
public sealed class OAuthProviderOptions
{
    public string ClientId { get; set; } = "";
    public string ClientSecret { get; set; } = "";
    public string AuthorizationEndpoint { get; set; } = "";
    public string TokenEndpoint { get; set; } = "";
    public string UserInformationEndpoint { get; set; } = "";
    /// <summary>Empty means the provider's usual ones (openid, email, profile for Google; email, public_profile for Facebook).</summary>
    public string[] Scopes { get; set; } = [];

    public bool Enabled => ClientId.Length > 0 && ClientSecret.Length > 0;
}
