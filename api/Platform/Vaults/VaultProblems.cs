using Microsoft.AspNetCore.Mvc;

namespace Headless.Api.Platform.Vaults;

/// <summary>The person's data lives in the other region's vault, which this API never reads or writes; the
/// client should send the request to <see cref="ApiBaseUrl"/> instead.</summary>
public sealed class WrongRegionException(string region, string? apiBaseUrl)
    : Exception($"This person's data is held in the {region} region.")
{
    public string Region { get; } = region;
    public string? ApiBaseUrl { get; } = apiBaseUrl;
}

/// <summary>The region's vault (its database, or the key service that unwraps its data keys) cannot be reached right now.</summary>
public sealed class VaultUnavailableException(string region, Exception inner)
    : Exception($"The {region} personal-data vault cannot be reached.", inner)
{
    public string Region { get; } = region;
}

public static class VaultProblems
{
    public const int RetryAfterSeconds = 5;

    /// <summary>421 Misdirected Request: this API is the wrong one for the person; `apiBase` names the right one.</summary>
    public static ProblemDetails WrongRegion(WrongRegionException wrong)
    {
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status421MisdirectedRequest,
            Title = "Served from another region",
            Type = Problems.Problems.TypeBase + "wrong-region",
            Detail = wrong.ApiBaseUrl is null
                ? $"This customer's data is kept in the {wrong.Region} region. Send the request to the {wrong.Region} API."
                : $"This customer's data is kept in the {wrong.Region} region. Send the request to {wrong.ApiBaseUrl}.",
        };
        problem.Extensions["region"] = wrong.Region;
        if (wrong.ApiBaseUrl is not null)
        {
            problem.Extensions["apiBase"] = wrong.ApiBaseUrl;
        }
        return problem;
    }

    /// <summary>503 with Retry-After: personal data is out of reach for a moment; browsing is not affected.</summary>
    public static ProblemDetails Unavailable(HttpContext http, VaultUnavailableException unavailable)
    {
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Personal data temporarily unavailable",
            Type = Problems.Problems.TypeBase + "vault-unavailable",
            Detail = $"The {unavailable.Region} personal-data vault cannot be reached right now. Retry in {RetryAfterSeconds} seconds; the catalog and browsing keep working.",
        };
    }
}
