using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Dapper;
using Npgsql;

namespace Headless.Drills;

/// <summary>An order the API confirmed: the checkout was sent at SentAt and answered 201 with this number at ConfirmedAt.</summary>
public sealed record ConfirmedOrder(string Number, DateTimeOffset SentAt, DateTimeOffset ConfirmedAt);

/// <summary>
/// Shoppers that only check out, steadily: a cart, one line, a checkout with its own Idempotency-Key, again
/// and again. Every 201 is recorded with its order number; every other answer (or a connection error or
/// timeout) is counted by what it was. The failover drill sends them through the load balancer, the DR
/// drill straight to its one API.
/// </summary>
/// <param name="emailPrefix">Shopper n checks out as `{emailPrefix}{n}@example.com`.</param>
public sealed class CheckoutShoppers(string baseUrl, string[] skus, string emailPrefix = "failover")
{
    private readonly ConcurrentQueue<ConfirmedOrder> _confirmed = new();
    private readonly ConcurrentDictionary<string, int> _refused = new();

    /// <summary>The pause after a refusal, as a shopper's browser would wait, so an outage is not a busy loop.</summary>
    public TimeSpan RefusalPause { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Each shopper sends its own documentation address in X-Forwarded-For (HAProxy forwards it), so
    /// per-IP limits see separate shoppers.</summary>
    public bool DistinctAddresses { get; init; } = true;

    public IReadOnlyCollection<ConfirmedOrder> Confirmed => _confirmed;

    public bool AnyRefused => !_refused.IsEmpty;

    public ConfirmedOrder? LastConfirmed => _confirmed.LastOrDefault();

    public string Refusals => _refused.IsEmpty
        ? "none"
        : string.Join(", ", _refused.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} ×{r.Value}"));

    public Task RunAsync(int shoppers, CancellationToken ct) =>
        Task.WhenAll(Enumerable.Range(0, shoppers).Select(i => ShopAsync(i, ct)));

    private async Task ShopAsync(int shopper, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = RequestTimeout };
        if (DistinctAddresses)
        {
            http.DefaultRequestHeaders.Add("X-Forwarded-For", $"198.51.100.{1 + shopper}");
        }
        var random = new Random(shopper);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var cart = await http.PostAsJsonAsync("/api/v1/carts", new { currency = "EUR" }, ct);
                if (!cart.IsSuccessStatusCode)
                {
                    await RefusedAsync($"cart {(int)cart.StatusCode}", ct);
                    continue;
                }
                var token = (await cart.Content.ReadFromJsonAsync<CartAnswer>(ct))!.Token;
                using var line = await http.PostAsJsonAsync($"/api/v1/carts/{token}/lines", new { sku = skus[random.Next(skus.Length)], quantity = 1 }, ct);
                if (!line.IsSuccessStatusCode)
                {
                    await RefusedAsync($"line {(int)line.StatusCode}", ct);
                    continue;
                }
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/checkouts")
                {
                    Content = JsonContent.Create(new
                    {
                        cartToken = token,
                        email = $"{emailPrefix}{shopper}@example.com",
                        shippingAddress = new { fullName = "Drill Shopper", line1 = "Hauptstraße 1", city = "Berlin", postalCode = "10115", country = "DE" },
                        shippingMethod = "standard",
                    }),
                };
                request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
                var sentAt = DateTimeOffset.UtcNow;
                using var checkout = await http.SendAsync(request, ct);
                if ((int)checkout.StatusCode == 201)
                {
                    var answer = (await checkout.Content.ReadFromJsonAsync<CheckoutAnswer>(ct))!;
                    _confirmed.Enqueue(new ConfirmedOrder(answer.Order.Number, sentAt, DateTimeOffset.UtcNow));
                }
                else
                {
                    await RefusedAsync($"checkout {(int)checkout.StatusCode}", ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                await RefusedAsync("connection error or timeout", ct);
            }
        }
    }

    /// <summary>Counts a refusal and pauses for <see cref="RefusalPause"/>.</summary>
    private async Task RefusedAsync(string what, CancellationToken ct)
    {
        _refused.AddOrUpdate(what, 1, (_, n) => n + 1);
        if (RefusalPause <= TimeSpan.Zero)
        {
            return;
        }
        try
        {
            await Task.Delay(RefusalPause, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>SKUs with plenty of stock, for the shoppers to buy (at most <paramref name="limit"/>).</summary>
    public static async Task<string[]> SkusAsync(string ownerConnectionString, CancellationToken ct, int limit = 500)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ownerConnectionString) { Pooling = false }.ConnectionString);
        await conn.OpenAsync(ct);
        var skus = (await conn.QueryAsync<string>(new CommandDefinition(
            """
            select v.sku from variants v join products p on p.id = v.product_id join inventory i on i.sku = v.sku
            where p.status = 'active' and i.on_hand - i.reserved >= 50 order by v.sku limit @limit
            """, new { limit }, cancellationToken: ct))).ToArray();
        return skus.Length > 0 ? skus : throw new DrillError("The drill's catalog has no active product with stock to order.");
    }

    /// <summary>Which of these order numbers the database has.</summary>
    public static async Task<HashSet<string>> FoundAsync(string connectionString, IEnumerable<ConfirmedOrder> orders, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await conn.OpenAsync(ct);
        var numbers = orders.Select(o => o.Number).ToArray();
        return [.. await conn.QueryAsync<string>(new CommandDefinition("select number from orders where number = any(@numbers)", new { numbers }, cancellationToken: ct))];
    }

    /// <summary>Waits until a checkout sent after <paramref name="after"/> is confirmed (one in flight at that
    /// moment may have committed before it); the time it was, or null at the deadline.</summary>
    public async Task<DateTimeOffset?> NextConfirmationAfterAsync(DateTimeOffset after, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var since = _confirmed.Where(o => o.SentAt > after).ToList();
            if (since.Count > 0)
            {
                return since.Min(o => o.ConfirmedAt);
            }
            await Task.Delay(50, ct);
        }
        return null;
    }

    private sealed record CartAnswer(string Token);
    private sealed record CheckoutAnswer(OrderAnswer Order);
    private sealed record OrderAnswer(string Number);
}
