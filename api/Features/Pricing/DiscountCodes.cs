using Dapper;
using Npgsql;

namespace Headless.Api.Features.Pricing;

public static class DiscountCodes
{
    public const string Columns = "id, code, kind, value, currency, min_subtotal, starts_at, ends_at, usage_limit, times_used, active, version";

    public static string Normalize(string code) => code.Trim().ToUpperInvariant();

    public static Task<Row?> FindAsync(NpgsqlConnection conn, string code, NpgsqlTransaction? tx = null) =>
        conn.QuerySingleOrDefaultAsync<Row>($"select {Columns} from discount_codes where code = @code", new { code = Normalize(code) }, tx);

    /// <summary>Why the code cannot be used on this subtotal now, or null when it can.</summary>
    public static string? WhyNot(Row? row, long subtotal, string currency, DateTime now) => row switch
    {
        null or { Active: false } => "This discount code does not exist or is no longer offered.",
        { StartsAt: { } s } when s > now => "This discount code is not valid yet.",
        { EndsAt: { } e } when e <= now => "This discount code has expired.",
        { UsageLimit: { } limit, TimesUsed: var used } when used >= limit => "This discount code has been used up.",
        _ when !string.Equals(row.Currency.Trim(), currency, StringComparison.Ordinal) => "This discount code is for another currency.",
        _ when subtotal < row.MinSubtotal => $"This discount code needs a subtotal of at least {Money(row.MinSubtotal, currency)}.",
        _ => null,
    };

    /// <summary>Counts one use, atomically: of concurrent checkouts, only as many as the limit allows succeed.</summary>
    public static async Task<bool> TryUseAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string code) =>
        await conn.ExecuteAsync("""
            update discount_codes set times_used = times_used + 1, version = version + 1, updated_at = now()
            where code = @code and active
              and (usage_limit is null or times_used < usage_limit)
              and (starts_at is null or starts_at <= now()) and (ends_at is null or ends_at > now())
            """, new { code }, tx) == 1;

    private static string Money(long minor, string currency) => Headless.Contracts.Commerce.MinorUnits.WithCode(minor, currency);

    public sealed class Row
    {
        public Guid Id { get; init; }
        public string Code { get; init; } = "";
        public string Kind { get; init; } = "";
        public long Value { get; init; }
        public string Currency { get; init; } = "";
        public long MinSubtotal { get; init; }
        public DateTime? StartsAt { get; init; }
        public DateTime? EndsAt { get; init; }
        public int? UsageLimit { get; init; }
        public int TimesUsed { get; init; }
        public bool Active { get; init; }
        public int Version { get; init; }
    }
}
