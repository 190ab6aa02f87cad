using System.Text.Json.Nodes;
using Dapper;
using FastEndpoints;
using FluentValidation;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Accounts.Admin;

/// <summary>
/// Moves a customer's personal data to the other region's vault: copy, verify, repoint, shred (issue 15).
///
/// The steps, and what an interruption after each leaves:
///  1. a new person in the target vault, recorded in customer_region_moves (an empty person, harmless);
///  2. every field copied and read back identical (<see cref="RegionMoveCopier"/>; a difference shreds the copy);
///  3. under a lock on the source person's row (no order or address can land in it meanwhile), one core transaction
///     repoints the account, the person's orders, staff invitations and queued mail to the copy, bumps the customer's
///     version and writes the audit row and the outbox event;
///  4. the source person is shredded, journaled like any erasure, so a restored old backup does not bring it back.
/// Until 3 commits the customer is served from the source; after it, from the target. An interrupted move leaves its row
/// open, and the next attempt for the customer first settles it: before 3 the copy is shredded and the move starts over,
/// after 3 the source is shredded and the move counts as done. A session-level advisory lock on the core database keeps
/// two moves of one customer from running at once (a crashed API's lock goes with its connection).
/// </summary>
public sealed class MoveCustomerRegion(NpgsqlDataSource db, RegionMoveCopier copier)
    : Endpoint<MoveCustomerRegion.Request, Results<Ok<CustomerRegionMove>, ProblemHttpResult>>
{
    private const int LockClass = 0x4D4F5645; // "MOVE"

    public override void Configure()
    {
        Post("/customers/{id:guid}/region-move");
        Group<AdminApi>();
        Options(b => b.WithMetadata(IfMatchRequired.Metadata));
        Policies(Platform.Security.Policies.Admin);
        Description(b => b.WithName("MoveCustomerRegion").WithTags("Admin customers")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status421MisdirectedRequest)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable));
        Summary(s =>
        {
            s.Summary = "Move a customer's personal data to the other region's vault (copy, verify, shred the old copy); audited, If-Match required";
            s.Description = "Copies every personal field of the customer (account, addresses, their orders' contact and addresses, queued mail) " +
                "into a new person in the target region's vault, reads the copy back and compares it, repoints the account, orders and " +
                "invitations in one transaction, then shreds the old person (journaled, so a restored backup cannot bring it back). " +
                "Audited as customer.region_moved (regions only) with the outbox event customer.region_moved. " +
                "Send the customer's ETag from GET /api/v1/admin/customers/{id} in If-Match: 428 without it, 412 when it changed since. " +
                "409 already-in-region when the data is kept there already, 409 email-not-confirmed while the account only claims its address, 409 region-move-running while another move of the customer runs, " +
                "409 region-not-configured naming the settings this API lacks to write to the target vault, 409 conflict when the target vault " +
                "holds another person with the email or the customer changed during the move (nothing moved), 404 for an unknown account, " +
                "421 wrong-region when another region's API serves the customer, 503 when a vault cannot be reached or the copy did not " +
                "verify (nothing moved; retry). An interrupted move is finished or undone by the next attempt.";
            s.Responses[200] = "Moved: the customer's personal data is in the target region's vault only; the body has the customer's new version (its ETag is the response's)";
            s.Responses[400] = "The region is missing or not eu or us";
            s.Responses[404] = "No account has this id";
            s.Responses[409] = "Nothing moved: already in that region (already-in-region), the email not confirmed yet (email-not-confirmed), another move of the customer running (region-move-running), " +
                "the target vault not configured here (region-not-configured, naming the settings), the email taken in the target vault, the account erased, " +
                "or the customer changed during the move";
            s.Responses[421] = "The customer's data is kept in a region another API serves: send the request there (wrong-region, apiBase)";
        });
    }

    public sealed class Request : JsonBody<CustomerRegionMoveRequest>
    {
        [RouteParam]
        public Guid Id { get; set; }
    }

    public sealed class Validator(IValidator<CustomerRegionMoveRequest> rules) : JsonBodyValidator<Request, CustomerRegionMoveRequest>(rules);

    public override async Task<Results<Ok<CustomerRegionMove>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var (id, target, http) = (req.Id, req.Body.Region!.Trim().ToLowerInvariant(), HttpContext);
        var expected = Versions.ParseIfMatch(http.Request.Headers.IfMatch);
        if (expected.Version is not { } version)
        {
            return expected.IsMissing ? PreconditionRequired()
                : PreconditionFailed("If-Match is not a customer ETag. Send the ETag from GET /api/v1/admin/customers/{id}, e.g. \"v1\".");
        }
        if (copier.MissingSettings(target) is { Count: > 0 } missing)
        {
            return Make(StatusCodes.Status409Conflict, "region-not-configured", "The target region's vault is not configured here",
                $"This API cannot write to the {target} vault. Set {string.Join("; ", missing)}. Nothing was moved.");
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        if (!await conn.ExecuteScalarAsync<bool>("select pg_try_advisory_lock(@LockClass, hashtext(@key))", new { LockClass, key = id.ToString() }))
        {
            return Make(StatusCodes.Status409Conflict, "region-move-running", "A move of this customer is running",
                "Another move of this customer is running right now. Wait until it has finished, reload the customer, and check its region.");
        }
        try
        {
            return await MoveAsync(conn, Actor.From(http), id, target, version, ct);
        }
        finally
        {
            await conn.ExecuteAsync("select pg_advisory_unlock(@LockClass, hashtext(@key))", new { LockClass, key = id.ToString() });
        }
    }

    private async Task<Results<Ok<CustomerRegionMove>, ProblemHttpResult>> MoveAsync(
        NpgsqlConnection conn, Actor actor, Guid id, string target, int expectedVersion, CancellationToken ct)
    {
        var user = await conn.QuerySingleOrDefaultAsync<UserRow>(
            "select person_id, person_region, version, erased_at, email_confirmed from users where id = @id", new { id });
        if (user is null)
        {
            return NotFound($"No account has the id {id}.");
        }
        if (user.ErasedAt is not null || user.PersonId is null || user.PersonRegion is null)
        {
            return Conflict(user.ErasedAt is not null ? "This account was erased: there is no personal data to move."
                : "This account keeps no personal data in a vault (it was made before the vaults), so there is nothing to move.");
        }
        if (!user.EmailConfirmed)
        {
            // An unconfirmed account only claims its address (vault migration 0003); the copy would make it the owner.
            return Make(StatusCodes.Status409Conflict, "email-not-confirmed", "Email not confirmed",
                "This customer has not confirmed their email address yet, so their account only claims it. Ask them to confirm it (or resend the confirmation), then move them. Nothing was moved.");
        }
        if (await SettleInterruptedAsync(conn, id, user, target, ct) is { } finished)
        {
            return TypedResults.Ok(finished);
        }
        user = await conn.QuerySingleAsync<UserRow>("select person_id, person_region, version, erased_at, email_confirmed from users where id = @id", new { id });
        if (user.Version != expectedVersion)
        {
            return PreconditionFailed($"The customer changed since you read it (it is now at {Versions.ETag(user.Version)}). " +
                "Reload the customer, check its region, and try again with the new ETag.");
        }
        if (user.PersonRegion == target)
        {
            return Make(StatusCodes.Status409Conflict, "already-in-region", "Already in that region",
                $"This customer's personal data is already kept in the {target} region. Nothing was moved.");
        }

        var source = new PersonRef(user.PersonId!.Value, user.PersonRegion!);
        var copy = await copier.CreateTargetAsync(source, target, ct);
        var moveId = Guid.CreateVersion7();
        await conn.ExecuteAsync("""
            insert into customer_region_moves (id, user_id, from_person, from_region, to_person, to_region)
            values (@moveId, @id, @From, @FromRegion, @To, @ToRegion)
            """, new { moveId, id, From = source.Id, FromRegion = source.Region, To = copy.Id, ToRegion = copy.Region });
        IReadOnlyDictionary<string, string> copied;
        try
        {
            copied = await copier.CopyAsync(source, copy, ct);
        }
        catch (RegionMoveFailedException failed)
        {
            await FinishAsync(conn, moveId, "abandoned");
            return failed.Failure == RegionMoveFailure.EmailTaken
                ? Conflict(failed.Message)
                : Make(StatusCodes.Status503ServiceUnavailable, "region-move-not-verified", "The copy could not be verified", failed.Message);
        }

        int newVersion;
        await using (await copier.HoldAsync(source, ct))
        {
            if (!await copier.UnchangedAsync(source, copied, ct))
            {
                await copier.DiscardAsync(copy, ct);
                await FinishAsync(conn, moveId, "abandoned");
                return Conflict("The customer's data changed during the move (an order, an address or a mail); nothing was moved. Try again.");
            }
            await using var tx = await conn.BeginTransactionAsync(ct);
            var bumped = await RepointAsync(new WriteLog(conn, tx, actor), id, source, copy, expectedVersion, moveId);
            if (bumped is null)
            {
                await tx.RollbackAsync(ct);
                await copier.DiscardAsync(copy, ct);
                await FinishAsync(conn, moveId, "abandoned");
                return Conflict("The customer changed during the move (erased, or moved by someone else); nothing was moved. Reload the customer.");
            }
            await tx.CommitAsync(ct);
            newVersion = bumped.Value;
        }
        await copier.ShredSourceAsync(source, ct);
        var movedAt = await FinishAsync(conn, moveId, "moved");
        Versions.SetETag(HttpContext, newVersion);
        return TypedResults.Ok(new CustomerRegionMove(id, source.Region, copy.Region, newVersion, movedAt));
    }

    /// <summary>Core names the copy from here on: the account, the person's orders (guest orders too), invitations and
    /// queued mail. Returns the customer's new version, or null when the account changed under the move.</summary>
    private static async Task<int?> RepointAsync(WriteLog log, Guid id, PersonRef source, PersonRef copy, int expectedVersion, Guid moveId)
    {
        var (conn, tx) = (log.Connection, log.Transaction);
        var refs = new { id, From = source.Id, To = copy.Id, Region = copy.Region, expectedVersion, moveId, FromText = source.Id.ToString() };
        var version = await conn.QuerySingleOrDefaultAsync<int?>("""
            update users set person_id = @To, person_region = @Region, version = version + 1, updated_at = now()
            where id = @id and person_id = @From and version = @expectedVersion and erased_at is null
            returning version
            """, refs, tx);
        if (version is null)
        {
            return null;
        }
        await conn.ExecuteAsync("""
            update orders set person_id = @To, person_region = @Region where person_id = @From;
            update staff_invitations set person_id = @To, person_region = @Region where person_id = @From;
            update outbox set payload = jsonb_set(payload, '{person}', jsonb_build_object('id', @To::text, 'region', @Region))
            where aggregate_type = 'email' and payload->'person'->>'id' = @FromText;
            update customer_region_moves set repointed_at = now() where id = @moveId;
            """, refs, tx);
        var regions = new JsonObject { ["from"] = source.Region, ["to"] = copy.Region };
        await AccountAudit.RecordAsync(log, "customer.region_moved", id, regions);
        await log.EventAsync("customer.region_moved", "customer", id.ToString(), new JsonObject { ["from"] = source.Region, ["to"] = copy.Region });
        return version;
    }

    /// <summary>Settles a move of this customer that an earlier attempt left open. Repointed already: the source is shredded
    /// and, when this request asks for the same region, its answer is that move. Not repointed: the copy is shredded.</summary>
    private async Task<CustomerRegionMove?> SettleInterruptedAsync(NpgsqlConnection conn, Guid id, UserRow user, string target, CancellationToken ct)
    {
        var open = await conn.QuerySingleOrDefaultAsync<OpenMove>("""
            select id, from_person, from_region, to_person, to_region from customer_region_moves where user_id = @id and finished_at is null
            """, new { id });
        if (open is null)
        {
            return null;
        }
        var (source, copy) = (new PersonRef(open.FromPerson, open.FromRegion), new PersonRef(open.ToPerson, open.ToRegion));
        if (user.PersonId == copy.Id)
        {
            await copier.ShredSourceAsync(source, ct);
            var movedAt = await FinishAsync(conn, open.Id, "moved");
            return target == copy.Region ? new CustomerRegionMove(id, source.Region, copy.Region, user.Version, movedAt) : null;
        }
        await copier.DiscardAsync(copy, ct);
        await FinishAsync(conn, open.Id, "abandoned");
        return null;
    }

    private static async Task<DateTimeOffset> FinishAsync(NpgsqlConnection conn, Guid moveId, string outcome) =>
        new(DateTime.SpecifyKind(await conn.QuerySingleAsync<DateTime>(
            "update customer_region_moves set finished_at = now(), outcome = @outcome where id = @moveId returning finished_at", new { moveId, outcome }),
            DateTimeKind.Utc));

    private sealed class UserRow
    {
        public Guid? PersonId { get; init; }
        public string? PersonRegion { get; init; }
        public int Version { get; init; }
        public DateTime? ErasedAt { get; init; }
        public bool EmailConfirmed { get; init; }
    }

    private sealed class OpenMove
    {
        public Guid Id { get; init; }
        public Guid FromPerson { get; init; }
        public string FromRegion { get; init; } = "";
        public Guid ToPerson { get; init; }
        public string ToRegion { get; init; } = "";
    }
}

public sealed class CustomerRegionMoveRequestValidator : AbstractValidator<CustomerRegionMoveRequest>
{
    public CustomerRegionMoveRequestValidator()
    {
        RuleFor(r => r.Region).NotEmpty().WithMessage("Say which region: \"eu\" or \"us\".")
            .Must(r => Residency.AllRegions.Contains(r?.Trim().ToLowerInvariant() ?? "")).WithMessage("The region is \"eu\" or \"us\".")
            .When(r => !string.IsNullOrWhiteSpace(r.Region), ApplyConditionTo.CurrentValidator);
    }
}
