using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Headless.Api.Features.Payments.Stripe;

/// <summary>
/// A thin client over Stripe's REST API (Stripe.net is not installable here): form-encoded requests,
/// the API version pinned, an Idempotency-Key on every create, and Stripe's error objects turned into
/// <see cref="PaymentProviderException"/>.
/// </summary>
public sealed class StripeClient(HttpClient http, PaymentsOptions.StripeOptions options) : IPaymentProvider
{
    /// <summary>The Stripe API version every request is made with; webhooks parse this version's objects.</summary>
    public const string ApiVersion = "2024-06-20";

    public string Name => "stripe";
    public bool TestMode => options.SecretKey.StartsWith("sk_test_", StringComparison.Ordinal);
    public string? PublishableKey => string.IsNullOrEmpty(options.PublishableKey) ? null : options.PublishableKey;

    public async Task<PaymentIntentInfo> CreateIntentAsync(PaymentIntentCreate create, CancellationToken ct)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("amount", create.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("currency", create.Currency.ToLowerInvariant()),
            new("automatic_payment_methods[enabled]", "true"),
            new("description", create.Description),
        };
        form.AddRange(create.Metadata.Select(m => new KeyValuePair<string, string>($"metadata[{m.Key}]", m.Value)));
        return ParseIntent(await SendAsync(HttpMethod.Post, "/v1/payment_intents", form, create.IdempotencyKey, ct));
    }

    public async Task<PaymentIntentInfo> RetrieveIntentAsync(string id, CancellationToken ct) =>
        ParseIntent(await SendAsync(HttpMethod.Get, $"/v1/payment_intents/{Uri.EscapeDataString(id)}", null, null, ct));

    public async Task<PaymentIntentInfo> CancelIntentAsync(string id, CancellationToken ct)
    {
        try
        {
            return ParseIntent(await SendAsync(HttpMethod.Post, $"/v1/payment_intents/{Uri.EscapeDataString(id)}/cancel", [], null, ct));
        }
        catch (PaymentProviderException e) when (e.Code == "payment_intent_unexpected_state")
        {
            // Already succeeded or canceled: report what it is.
            return await RetrieveIntentAsync(id, ct);
        }
    }

    public async Task<RefundInfo> RefundAsync(string paymentIntentId, long amount, string idempotencyKey, CancellationToken ct)
    {
        var json = await SendAsync(HttpMethod.Post, "/v1/refunds",
        [
            new("payment_intent", paymentIntentId),
            new("amount", amount.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ], idempotencyKey, ct);
        var root = json.RootElement;
        return new RefundInfo(root.GetProperty("id").GetString()!, root.GetProperty("status").GetString()!, root.GetProperty("amount").GetInt64());
    }

    /// <summary>Reads a payment_intent object as Stripe sends it (in responses and in webhook events).</summary>
    public static PaymentIntentInfo ReadIntent(JsonElement pi) => new(
        pi.GetProperty("id").GetString()!,
        pi.TryGetProperty("client_secret", out var secret) && secret.ValueKind == JsonValueKind.String ? secret.GetString()! : "",
        pi.GetProperty("status").GetString()!,
        pi.GetProperty("amount").GetInt64(),
        pi.TryGetProperty("amount_received", out var received) && received.ValueKind == JsonValueKind.Number ? received.GetInt64() : 0,
        pi.GetProperty("currency").GetString()!.ToUpperInvariant(),
        pi.TryGetProperty("last_payment_error", out var error) && error.ValueKind == JsonValueKind.Object
            && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String ? message.GetString() : null);

    private static PaymentIntentInfo ParseIntent(JsonDocument json)
    {
        using (json)
        {
            return ReadIntent(json.RootElement);
        }
    }

    private async Task<JsonDocument> SendAsync(HttpMethod method, string path, List<KeyValuePair<string, string>>? form, string? idempotencyKey, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(new Uri(options.ApiBase), path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.SecretKey);
        request.Headers.Add("Stripe-Version", ApiVersion);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        if (form is not null)
        {
            request.Content = new FormUrlEncodedContent(form);
        }
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new PaymentProviderException("Stripe could not be reached.", unavailable: true, inner: e);
        }
        using (response)
        {
            var body = await response.Content.ReadAsStreamAsync(ct);
            JsonDocument json;
            try
            {
                json = await JsonDocument.ParseAsync(body, cancellationToken: ct);
            }
            catch (JsonException e)
            {
                throw new PaymentProviderException($"Stripe answered {(int)response.StatusCode} without JSON.", unavailable: true, inner: e);
            }
            if (response.IsSuccessStatusCode)
            {
                return json;
            }
            using (json)
            {
                var error = json.RootElement.TryGetProperty("error", out var e) ? e : default;
                string? Field(string name) => error.ValueKind == JsonValueKind.Object && error.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                var unavailable = (int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests;
                throw new PaymentProviderException(Field("message") ?? $"Stripe answered {(int)response.StatusCode}.", unavailable, Field("code") ?? Field("type"));
            }
        }
    }
}
