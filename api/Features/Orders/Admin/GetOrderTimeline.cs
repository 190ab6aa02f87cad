using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Catalog;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Orders.Admin;

/// <summary>
/// Every step of an order, oldest first, from what is written in the same transaction as each step:
/// order_events (every status change and payment outcome, since checkout), the payment row (when the
/// payment was started) and refund rows that are not settled (asked but not confirmed, or refused), whose
/// settled counterparts are already status changes. The kind is read from the event's statuses, so events
/// written before this route existed get one too; a shipment's carrier and tracking are the order's.
/// </summary>
public sealed class GetOrderTimeline(NpgsqlDataSource db, Platform.Vaults.PersonalDataVault vault) : Endpoint<GetOrderTimeline.Request, Results<Ok<OrderTimeline>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/orders/{orderId:guid}/timeline");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("GetOrderTimeline").WithTags("Admin orders")
            .ProducesProblem(StatusCodes.Status404NotFound));
        Summary(s =>
        {
            s.Summary = "The order's timeline: placed, payment attempts, paid, shipped (carrier, tracking), delivered, canceled, refunds, each with actor and time";
            s.Description = "Oldest first. kind is one of placed, payment_started, payment_processing, payment_failed, payment_mismatch, paid, shipped, delivered, " +
                "canceled, refund_requested, refund_failed, refunded, note. amount is set on refunds and payment_started.";
        });
    }

    public sealed class Request
    {
        [RouteParam]
        public Guid OrderId { get; set; }
    }

    private const string Sql = """
        select o.number, o.carrier, o.tracking_number, trim(o.currency) as currency from orders o where o.id = @orderId;

        select * from (
            select e.at,
                   case
                       when e.from_status is null then 'placed'
                       when e.note like 'refund %' or e.to_status in ('refunded', 'partially_refunded') then 'refunded'
                       when e.to_status = 'paid' then 'paid'
                       when e.to_status = 'fulfilled' then 'shipped'
                       when e.to_status = 'delivered' then 'delivered'
                       when e.to_status = 'canceled' then 'canceled'
                       when e.note like '%payment failed%' then 'payment_failed'
                       when e.note like '%payment processing%' then 'payment_processing'
                       when e.note like '%does not match%' then 'payment_mismatch'
                       else 'note'
                   end as kind,
                   e.actor, e.from_status, e.to_status, e.note,
                   substring(e.note from '^refund ([0-9]+) ')::bigint as amount, e.id as seq
            from order_events e where e.order_id = @orderId
            union all
            select p.created_at, 'payment_started', 'system:checkout', null, null,
                   'payment started with ' || p.provider || ' (' || p.status || ' now)', p.amount, 0
            from payments p where p.order_id = @orderId
            union all
            select r.created_at, case when r.status = 'failed' then 'refund_failed' else 'refund_requested' end, r.actor, null, null,
                   case when r.status = 'failed' then 'refund refused by the payment service' else 'refund asked of the payment service, not confirmed yet' end
                       || case when r.reason <> '' then ': ' || r.reason else '' end,
                   r.amount, 0
            from refunds r where r.order_id = @orderId and (r.status = 'failed' or r.provider_ref is null)
        ) t
        order by t.at, t.seq;
        """;

    public override async Task<Results<Ok<OrderTimeline>, ProblemHttpResult>> ExecuteAsync(Request req, CancellationToken ct)
    {
        var orderId = req.OrderId;
        await using var conn = await db.OpenConnectionAsync(ct);
        using var grid = await conn.QueryMultipleAsync(Sql, new { orderId });
        var order = await grid.ReadSingleOrDefaultAsync<OrderRow>();
        if (order is null)
        {
            return NotFound($"No order {orderId}.");
        }
        var entries = (await grid.ReadAsync<EntryRow>()).ToList();
        // Staff actors' addresses are their people's vault fields (issue 15), read for the page in one vault query.
        var staffIds = entries.Select(e => e.Actor.StartsWith("user:", StringComparison.Ordinal) && Guid.TryParse(e.Actor[5..], out var id) ? id : (Guid?)null)
            .OfType<Guid>().Distinct().ToList();
        var staff = await Accounts.Identity.AccountPeople.FieldsOfAsync(conn, vault, staffIds, ct: ct);
        string? ActorEmail(string actor) => actor.StartsWith("user:", StringComparison.Ordinal) && Guid.TryParse(actor[5..], out var id)
            ? Accounts.Identity.AccountFields.Get(staff.GetValueOrDefault(id), Accounts.Identity.AccountFields.Email) : null;
        var items = entries.Select(e => new OrderTimelineEntry(
            e.Kind, OrderStore.Utc(e.At), e.Actor, ActorEmail(e.Actor), e.FromStatus, e.ToStatus, e.Note,
            e.Kind == "shipped" ? order.Carrier : null, e.Kind == "shipped" ? order.TrackingNumber : null,
            e.Amount is { } amount ? new Money(amount, order.Currency) : null)).ToList();
        HttpContext.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new OrderTimeline(orderId, order.Number, items));
    }

    private sealed class OrderRow
    {
        public string Number { get; init; } = "";
        public string? Carrier { get; init; }
        public string? TrackingNumber { get; init; }
        public string Currency { get; init; } = "";
    }

    private sealed class EntryRow
    {
        public DateTime At { get; init; }
        public string Kind { get; init; } = "";
        public string Actor { get; init; } = "";
        public string? FromStatus { get; init; }
        public string? ToStatus { get; init; }
        public string Note { get; init; } = "";
        public long? Amount { get; init; }
    }
}
