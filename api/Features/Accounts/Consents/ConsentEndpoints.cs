using Dapper;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Features.Accounts.Consents;

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

public static class GetConsents
{
    public static void Map(RouteGroupBuilder group) => group
        .MapGet("/consents", Handle)
        .WithName("GetConsents")
        .WithSummary("Current consent per purpose and the full history of grants and withdrawals");

    private static async Task<ConsentList> Handle(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        http.Response.Headers.CacheControl = "no-store";
        return ConsentQueries.ToList(await ConsentQueries.HistoryAsync(conn, http.User.UserId()!.Value));
    }
}

public static class RecordConsent
{
    public static void Map(RouteGroupBuilder group) => group
        .MapPost("/consents", Handle)
        .WithName("RecordConsent")
        .WithSummary("Grant or withdraw consent for a purpose (marketing, analytics, personalisation)")
        .Validate<ConsentRequest>();

    private static async Task<ConsentList> Handle(ConsentRequest request, HttpContext http, AccountsDb accounts, IOptions<AccountsOptions> options, CancellationToken ct)
    {
        var userId = http.User.UserId()!.Value;
        var log = await accounts.BeginAsync(Actor.From(http), ct);
        await log.Connection.ExecuteAsync("""
            insert into consents (user_id, purpose, granted, policy_version) values (@userId, @Purpose, @Granted, @version)
            """, new { userId, request.Purpose, request.Granted, version = request.PolicyVersion ?? options.Value.PrivacyPolicyVersion }, log.Transaction);
        await AccountAudit.RecordAsync(log, request.Granted == true ? "consent.granted" : "consent.withdrawn", userId,
            new() { ["purpose"] = request.Purpose });
        var history = await ConsentQueries.HistoryAsync(log.Connection, userId, log.Transaction);
        await accounts.CommitAsync(ct);
        return ConsentQueries.ToList(history);
    }
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
