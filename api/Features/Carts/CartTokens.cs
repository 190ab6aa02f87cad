using System.Security.Cryptography;
using System.Text;

namespace Headless.Api.Features.Carts;

/// <summary>Cart and order tokens: 256 random bits, base64url. Only their SHA-256 is stored, so a
/// leaked database cannot open anybody's cart.</summary>
public static class CartTokens
{
    public static string New() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>Malformed tokens are rejected before they reach SQL.</summary>
    public static bool LooksValid(string? token) =>
        token is { Length: 43 } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
