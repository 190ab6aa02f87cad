using Dapper;
using FluentValidation;
using Headless.Contracts.Accounts;
using Npgsql;

namespace Headless.Api.Features.Accounts.Consents;

/// <summary>What GetConsents, RecordConsent and the personal-data export share: the consent history and its
/// current-state view, plus the rules of a consent request.</summary>
public static class ConsentQueries
{
    public static readonly string[] Purposes = ["marketing", "analytics", "personalisation"];

    public static async Task<List<ConsentRecord>> HistoryAsync(NpgsqlConnection conn, Guid userId, NpgsqlTransaction? tx = null) =>
        (await conn.QueryAsync<(string Purpose, bool Granted, string PolicyVersion, DateTime At)>(
            "select purpose, granted, policy_version, at from consents where user_id = @userId order by id", new { userId }, tx))
        .Select(r => new ConsentRecord(r.Purpose, r.Granted, r.PolicyVersion, r.At)).ToList();

    public static ConsentList ToList(List<ConsentRecord> history) =>
        new(history.GroupBy(c => c.Purpose).Select(g => g.Last()).OrderBy(c => c.Purpose, StringComparer.Ordinal).ToList(), history);
}

public sealed class ConsentRequestValidator : AbstractValidator<ConsentRequest>
{
    public ConsentRequestValidator()
    {
        RuleFor(c => c.Purpose).NotEmpty().Must(p => ConsentQueries.Purposes.Contains(p)).WithMessage($"Use one of: {string.Join(", ", ConsentQueries.Purposes)}.");
        RuleFor(c => c.Granted).NotNull().WithMessage("Say whether consent is granted (true) or withdrawn (false).");
        RuleFor(c => c.PolicyVersion).MaximumLength(40);
    }
}
