using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Headless.Api.Features.Webhooks;

/// <summary>Signing secrets: `whsec_` and 32 random bytes in base64 (the Standard Webhooks form), stored
/// protected with ASP.NET Core data protection (the keys every instance shares), shown to staff once.</summary>
public sealed class WebhookSecrets(IDataProtectionProvider protection)
{
    private readonly IDataProtector _protector = protection.CreateProtector("Headless.Webhooks.Secret");

    public static string New() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public string Protect(string secret) => _protector.Protect(secret);

    public string Unprotect(string stored) => _protector.Unprotect(stored);
}
