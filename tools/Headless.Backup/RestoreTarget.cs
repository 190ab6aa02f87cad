using System.Globalization;

namespace Headless.Backup;

/// <summary>What <c>restore --to=</c> asks for: <c>latest</c> (everything archived), or a moment written in
/// ISO 8601 with its offset (<c>2026-12-04T19:58:01Z</c>, <c>2026-12-04T20:58:01+01:00</c>). A time without an
/// offset is refused: the operator's clock and the server's may not share a zone.</summary>
public sealed record RestoreTarget(DateTimeOffset? Time)
{
    public static RestoreTarget Latest { get; } = new((DateTimeOffset?)null);

    public bool IsLatest => Time is null;

    public static RestoreTarget Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new BackupError("Say where to restore to: --to=latest, or --to=<ISO 8601 time with offset>, e.g. --to=2026-12-04T19:58:01Z.");
        }
        if (value.Equals("latest", StringComparison.OrdinalIgnoreCase))
        {
            return Latest;
        }
        var hasOffset = value.EndsWith('Z') || value.EndsWith('z') || System.Text.RegularExpressions.Regex.IsMatch(value, @"[+-]\d\d(:?\d\d)?$");
        if (!hasOffset || !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var time) || !value.Contains('T', StringComparison.Ordinal))
        {
            throw new BackupError($"--to={value} is not a time this restore can use: write `latest`, or an ISO 8601 time with its offset, " +
                "e.g. 2026-12-04T19:58:01Z or 2026-12-04T20:58:01+01:00 (a time without an offset is ambiguous).");
        }
        return new RestoreTarget(time.ToUniversalTime());
    }

    /// <summary>recovery_target_time as PostgreSQL reads it.</summary>
    public string ToPostgres() => Time!.Value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00";

    public override string ToString() => IsLatest ? "latest" : Time!.Value.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture);
}

/// <summary>A refusal or failure the operator can act on: printed as is, exit code 1, no stack trace.</summary>
public sealed class BackupError(string message) : Exception(message);
