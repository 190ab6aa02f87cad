namespace Headless.Contracts.Accounts;

/// <summary>Region: "eu" or "us", the region whose vault is to keep the customer's personal data from now on.</summary>
public sealed record CustomerRegionMoveRequest(string? Region);

/// <summary>A finished move: the customer's personal data is in <paramref name="Region"/>'s vault only; the customer's new
/// version (ETag "v{Version}") is what a next staff action sends in If-Match.</summary>
public sealed record CustomerRegionMove(Guid CustomerId, string FromRegion, string Region, int Version, DateTimeOffset MovedAt);
