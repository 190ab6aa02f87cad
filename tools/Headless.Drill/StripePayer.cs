using System.Text.Json.Nodes;
using Headless.Tests.Payments;

namespace Headless.Drill;

/// <summary>
/// The payment provider of the drill: the tests' Stripe stand-in (compiled in from tests/Headless.Tests/Payments),
/// the API configured against it. Shoppers do not pay in a browser here, so this plays their card and Stripe's
/// webhook: every PaymentIntent the API created and the stand-in answered is made to succeed and its
/// <c>payment_intent.succeeded</c> event posted, signed, to the API through the load balancer (again later if
/// the API did not take it, as Stripe retries). <see cref="Outage"/> makes the stand-in answer 5xx to everything.
/// </summary>
public sealed class StripePayer : IAsyncDisposable
{
    public const string SecretKey = "sk_test_51HeadlessDrillStandInKey000000000000000000";
    public const string PublishableKey = "pk_test_51HeadlessDrillStandInKey000000000000000000";
    public const string WebhookSecret = "whsec_headlessDrillStandInSigningSecret00000000";

    private readonly HashSet<string> _paid = new(StringComparer.Ordinal);
    // Never disposed: it only ever holds no timer, and DisposeAsync reads it to run once.
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private HttpClient? _api;

    private StripePayer(StripeStandIn stripe) => Stripe = stripe;

    public StripeStandIn Stripe { get; }

    public int Paid => _paid.Count;

    /// <summary>Starts the stand-in; paying starts with <see cref="Begin"/>, once the API is up.</summary>
    public static async Task<StripePayer> StartAsync() => new(await StripeStandIn.StartAsync(SecretKey, WebhookSecret));

    /// <summary>The API's settings for this provider.</summary>
    public Dictionary<string, string> ApiSettings() => new()
    {
        ["Headless__Payments__Stripe__SecretKey"] = SecretKey,
        ["Headless__Payments__Stripe__PublishableKey"] = PublishableKey,
        ["Headless__Payments__Stripe__WebhookSecret"] = WebhookSecret,
        ["Headless__Payments__Stripe__ApiBase"] = Stripe.BaseUrl,
        ["Headless__Payments__Stripe__TimeoutSeconds"] = "3",
    };

    public void Begin(string balancerUrl)
    {
        _api = new HttpClient { BaseAddress = new Uri(balancerUrl), Timeout = TimeSpan.FromSeconds(10) };
        _loop = LoopAsync(_api);
    }

    /// <summary>Every request answers 500 (before its endpoint runs) until <see cref="Recover"/>.</summary>
    public void Outage() => Stripe.FailNext(int.MaxValue);

    public void Recover() => Stripe.Recover();

    private async Task LoopAsync(HttpClient api)
    {
        while (!_stop.IsCancellationRequested)
        {
            var created = Stripe.RequestsTo("POST", "/v1/payment_intents")
                .Where(r => r.Status == 200)
                .Select(r => JsonNode.Parse(r.Response)?["id"]?.GetValue<string>())
                .OfType<string>()
                .Where(id => !_paid.Contains(id))
                .Distinct()
                .ToList();
            foreach (var id in created)
            {
                try
                {
                    var intent = Stripe.Intent(id)["status"]?.GetValue<string>() == "succeeded" ? Stripe.Intent(id) : Stripe.SucceedIntent(id);
                    using var answer = await Stripe.SendAsync(api, Stripe.Event("payment_intent.succeeded", intent));
                    if (answer.IsSuccessStatusCode)
                    {
                        _paid.Add(id);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or KeyNotFoundException)
                {
                    // The API (or the intent) is not there right now: tried again on the next round.
                }
            }
            try
            {
                await Task.Delay(300, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>Waits (at most <paramref name="timeout"/>) until every intent created so far is paid.</summary>
    public async Task CatchUpAsync(TimeSpan timeout, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < timeout && Stripe.RequestsTo("POST", "/v1/payment_intents").Where(r => r.Status == 200)
            .Select(r => JsonNode.Parse(r.Response)?["id"]?.GetValue<string>()).OfType<string>().Distinct().Count() > Paid)
        {
            await Task.Delay(300, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        await _stop.CancelAsync();
        await _loop;
        _api?.Dispose();
        await Stripe.DisposeAsync();
    }
}
