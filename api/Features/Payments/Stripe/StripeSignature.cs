using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Headless.Api.Features.Payments.Stripe;

/// <summary>
/// Stripe's webhook signature scheme: the Stripe-Signature header carries t=&lt;unix seconds&gt; and one
/// or more v1=&lt;hex HMAC-SHA256 of "t.body" with the endpoint secret&gt; (several during secret rolls).
/// A signature matches in constant time; the timestamp must be within the tolerance, so a captured
/// event cannot be replayed later.
/// </summary>
public static class StripeSignature
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(300);

    public enum Result { Valid, Malformed, NoMatch, Stale }

    public static Result Verify(string? header, ReadOnlySpan<byte> body, string secret, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(header) || string.IsNullOrEmpty(secret))
        {
            return Result.Malformed;
        }
        long? timestamp = null;
        var signatures = new List<byte[]>();
        foreach (var part in header.Split(','))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0)
            {
                continue;
            }
            var (name, value) = (part[..eq].Trim(), part[(eq + 1)..].Trim());
            if (name == "t" && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t))
            {
                timestamp = t;
            }
            else if (name == "v1" && value.Length == 64)
            {
                try
                {
                    signatures.Add(Convert.FromHexString(value));
                }
                catch (FormatException)
                {
                    // not a signature: ignore, like any other unknown element
                }
            }
        }
        if (timestamp is null || signatures.Count == 0)
        {
            return Result.Malformed;
        }
        var expected = Sign(timestamp.Value, body, secret);
        var matched = false;
        foreach (var signature in signatures)
        {
            matched |= CryptographicOperations.FixedTimeEquals(signature, expected);
        }
        if (!matched)
        {
            return Result.NoMatch;
        }
        return Math.Abs(now.ToUnixTimeSeconds() - timestamp.Value) > Tolerance.TotalSeconds ? Result.Stale : Result.Valid;
    }

    public static byte[] Sign(long timestamp, ReadOnlySpan<byte> body, string secret)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var payload = new byte[prefix.Length + body.Length];
        prefix.CopyTo(payload, 0);
        body.CopyTo(payload.AsSpan(prefix.Length));
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), payload);
    }
}
