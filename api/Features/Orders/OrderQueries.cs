using System.Globalization;
using System.Text;
using Headless.Api.Platform.Vaults;
using Headless.Contracts.Catalog;
using Headless.Contracts.Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Orders;

/// <summary>Order lists: newest first, keyset-paginated on (created_at, id).</summary>
public static class OrderQueries
{
    public const string SummarySelect = """
        select o.id, o.number, o.status, o.person_id, o.person_region, o.total, o.currency, o.created_at,
               (select coalesce(sum(quantity), 0)::int from order_lines l where l.order_id = o.id) as item_count
        from orders o
        """;

    public const string AfterCursor = "and (@afterAt::timestamptz is null or (o.created_at, o.id) < (@afterAt, @afterId))";
    public const string Newest = "order by o.created_at desc, o.id desc limit @take";

    public sealed record Page(int Limit, DateTime? AfterAt, Guid? AfterId, ProblemHttpResult? Problem);

    public static Page ParsePage(string? cursor, int? limit)
    {
        var take = limit ?? 20;
        if (take is < 1 or > 100)
        {
            return new Page(0, null, null, Validation("limit", "limit is from 1 to 100."));
        }
        if (cursor is null)
        {
            return new Page(take, null, null, null);
        }
        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(cursor.Replace('-', '+').Replace('_', '/').PadRight((cursor.Length + 3) / 4 * 4, '='))).Split('|');
            var at = new DateTime(long.Parse(parts[0], CultureInfo.InvariantCulture), DateTimeKind.Utc);
            return new Page(take, at, Guid.Parse(parts[1]), null);
        }
        catch (Exception e) when (e is FormatException or IndexOutOfRangeException or ArgumentException or OverflowException)
        {
            return new Page(0, null, null, Validation("cursor", "This cursor is not one the API gave out. Start again without it."));
        }
    }

    /// <summary>The page, each order's email read from its person's vault: one vault query per region for the whole page.
    /// An erased customer's order shows a blank email and ContactErased.</summary>
    public static async Task<OrderPage> ToPageAsync(List<SummaryRow> rows, int limit, PersonalDataVault vault, CancellationToken ct)
    {
        var page = rows.Take(limit).ToList();
        var people = await vault.GetManyAsync(page.Select(r => r.Person).OfType<PersonRef>(), ct);
        string? EmailOf(SummaryRow r) =>
            r.Person is { } person ? people.GetValueOrDefault(person)?.GetValueOrDefault(OrderContact.EmailField(r.Id)) : null;
        var items = page.Select(r => EmailOf(r) is { } email
            ? new OrderSummary(r.Id, r.Number, r.Status, email, new Money(r.Total, r.Currency.Trim()), r.ItemCount, OrderStore.Utc(r.CreatedAt))
            : new OrderSummary(r.Id, r.Number, r.Status, "", new Money(r.Total, r.Currency.Trim()), r.ItemCount, OrderStore.Utc(r.CreatedAt), ContactErased: true))
            .ToList();
        string? next = null;
        if (rows.Count > limit)
        {
            var last = rows[limit - 1];
            next = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{last.CreatedAt.Ticks.ToString(CultureInfo.InvariantCulture)}|{last.Id}"))
                .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        }
        return new OrderPage(items, next);
    }

    public sealed class SummaryRow
    {
        public Guid Id { get; init; }
        public string Number { get; init; } = "";
        public string Status { get; init; } = "";
        public Guid? PersonId { get; init; }
        public string? PersonRegion { get; init; }
        public PersonRef? Person => PersonId is { } id && PersonRegion is { } region ? new PersonRef(id, region) : null;
        public long Total { get; init; }
        public string Currency { get; init; } = "";
        public DateTime CreatedAt { get; init; }
        public int ItemCount { get; init; }
    }
}
