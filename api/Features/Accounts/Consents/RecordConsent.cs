using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Features.Accounts.Identity;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Accounts;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Accounts.Consents;

public sealed class RecordConsent(AccountsDb accounts, IOptions<AccountsOptions> options) : Endpoint<RecordConsent.Request, ConsentList>
{
    public override void Configure()
    {
        Post("/account/consents");
        Group<PublicApi>();
        Policies(Platform.Security.Policies.SignedIn);
        Description(b => b.WithName("RecordConsent").WithTags("Account").ProducesProblem(StatusCodes.Status401Unauthorized));
        Summary(s => s.Summary = "Grant or withdraw consent for a purpose (marketing, analytics, personalisation)");
    }

    public sealed class Request : JsonBody<ConsentRequest>;

    public sealed class Validator(IValidator<ConsentRequest> rules) : JsonBodyValidator<Request, ConsentRequest>(rules);

    public override async Task<ConsentList> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (request, http) = (req.Body, HttpContext);
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
