using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Contracts.Admin;
using Headless.Contracts.Catalog;
using Npgsql;

namespace Headless.Api.Features.Orders.Admin;

/// <summary>
/// The dashboard's overview in two statements: orders and revenue per UTC day for the last 30 days (a range
/// scan of the orders_newest index on created_at), then the count awaiting payment (orders_status_newest)
/// and the 10 newest orders (orders_newest). Revenue counts orders that were paid (paid, fulfilled,
/// delivered, refunded, partially refunded), less what was refunded, on the day they were placed.
/// </summary>
public sealed class GetOverview(NpgsqlDataSource db, TimeProvider clock) : EndpointWithoutRequest<AdminOverview>
{
    public const int Days = 30;

    public override void Configure()
    {
        Get("/overview");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.OrderStaff);
        Description(b => b.WithName("GetAdminOverview").WithTags("Admin orders"));
        Summary(s =>
        {
            s.Summary = "Orders and revenue per day for the last 30 days, orders awaiting payment, the 10 newest orders";
            s.Description = "Days are UTC dates, oldest first, today last; a day without orders is listed with zeros. "
                + "Revenue is per currency in minor units: orders that were paid, less refunds, on the day they were placed. "
                + "awaitingPayment counts orders in pending_payment. New orders arrive live on GET /api/v1/admin/live.";
        });
    }

    public override async Task<AdminOverview> ExecuteAsync(CancellationToken ct)
    {
        var to = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var from = to.AddDays(-(Days - 1));
        await using var conn = await db.OpenConnectionAsync(ct);
        var perDay = (await conn.QueryAsync<DayRow>(new CommandDefinition("""
            select date_trunc('day', created_at at time zone 'UTC') as day, currency, count(*)::int as orders,
                   coalesce(sum(total - refunded_total) filter (where status in ('paid', 'fulfilled', 'delivered', 'refunded', 'partially_refunded')), 0)::bigint as revenue
            from orders
            where created_at >= @from
            group by 1, 2
            """, new { from = from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) }, cancellationToken: ct))).ToList();
        using var rest = await conn.QueryMultipleAsync(new CommandDefinition("""
            select count(*) from orders where status = 'pending_payment';
            select id, number, status, total, currency, created_at as createdat from orders order by created_at desc, id desc limit 10;
            """, cancellationToken: ct));
        var awaiting = await rest.ReadSingleAsync<long>();
        var latest = (await rest.ReadAsync<LatestRow>())
            .Select(o => new OverviewOrder(o.Id, o.Number, o.Status, new Money(o.Total, o.Currency.Trim()), new DateTimeOffset(DateTime.SpecifyKind(o.CreatedAt, DateTimeKind.Utc))))
            .ToList();

        var days = Enumerable.Range(0, Days).Select(i => from.AddDays(i)).Select(day =>
        {
            var rows = perDay.Where(r => DateOnly.FromDateTime(r.Day) == day).OrderBy(r => r.Currency, StringComparer.Ordinal).ToList();
            return new OverviewDay(day, rows.Sum(r => r.Orders), rows.Select(r => new Money(r.Revenue, r.Currency.Trim())).ToList());
        }).ToList();
        HttpContext.Response.Headers.CacheControl = "no-store";
        return new AdminOverview(from, to, days, awaiting, latest);
    }

    private sealed class DayRow
    {
        public DateTime Day { get; init; }
        public string Currency { get; init; } = "";
        public int Orders { get; init; }
        public long Revenue { get; init; }
    }

    private sealed class LatestRow
    {
        public Guid Id { get; init; }
        public string Number { get; init; } = "";
        public string Status { get; init; } = "";
        public long Total { get; init; }
        public string Currency { get; init; } = "";
        public DateTime CreatedAt { get; init; }
    }
}
