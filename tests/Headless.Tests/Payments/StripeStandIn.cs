using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Headless.Tests.Payments;

/// <summary>A request the stand-in received, as it came over the wire.</summary>
public sealed record StripeRequest(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string> Headers,
    string? ContentType,
    string Body,
    IReadOnlyDictionary<string, string> Form,
    int Status,
    string Response)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>How a webhook is sent: by default correctly signed, now, with the stand-in's secret.</summary>
public sealed record WebhookSend
{
    public string? Secret { get; init; }
    public DateTimeOffset? SignedAt { get; init; }
    /// <summary>Put a v1 made with another secret before the right one (as during a secret roll).</summary>
    public bool ExtraWrongSignature { get; init; }
    /// <summary>Changes the body after it was signed.</summary>
    public Func<string, string>? AlterBodyAfterSigning { get; init; }
    /// <summary>Sends this Stripe-Signature header instead of a computed one.</summary>
    public string? RawHeader { get; init; }
    public bool OmitHeader { get; init; }
}

/// <summary>
/// A real HTTP server on 127.0.0.1 speaking Stripe's wire format for what our client uses:
/// PaymentIntents (create, retrieve, cancel) and refunds, form-encoded, with Bearer secret keys,
/// Stripe-Version and Stripe's Idempotency-Key semantics (same key and parameters: the saved response,
/// including errors the endpoint produced; other parameters: 400 idempotency_error; at most 255
/// characters). Objects start from Stripe's published examples (../shared/reference/stripe/fixtures3.json)
/// when present. Test controls (succeed, fail, refund in the dashboard, outages) are C# methods;
/// signed webhook events are built and posted with our own HMAC code.
/// </summary>
public sealed class StripeStandIn : IAsyncDisposable
{
    public const string ApiVersion = "2026-10-28.endive";
    public const int MaxIdempotencyKeyLength = 255;

    private readonly object _gate = new();
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<string, JsonObject> _intents = [];
    private readonly Dictionary<string, JsonObject> _charges = [];
    private readonly Dictionary<string, JsonObject> _refunds = [];
    private readonly Dictionary<string, (string Fingerprint, int Status, string Body)> _idempotency = [];
    private readonly List<StripeRequest> _requests = [];
    private readonly JsonObject? _fixtures;
    private int _failNext;
    private bool _failSaved;
    private int _hangNext;
    private readonly Queue<(int Status, string Body)> _answerNext = new();

    private StripeStandIn(WebApplication app, string secretKey, string webhookSecret)
    {
        _app = app;
        SecretKey = secretKey;
        WebhookSecret = webhookSecret;
        if (SharedReference.Exists(SharedReference.StripeFixtures))
        {
            _fixtures = JsonNode.Parse(File.ReadAllText(SharedReference.PathOf(SharedReference.StripeFixtures)))!["resources"]!.AsObject();
        }
    }

    public string SecretKey { get; }
    public string WebhookSecret { get; }

    /// <summary>http://127.0.0.1:port, no trailing slash.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>True when the objects are built from Stripe's published examples.</summary>
    public bool UsesPublishedFixtures => _fixtures is not null;

    public static async Task<StripeStandIn> StartAsync(string secretKey, string webhookSecret)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        // Nothing from the test folder's appsettings (the API's Kestrel settings live there).
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var standIn = new StripeStandIn(app, secretKey, webhookSecret);
        app.Run(standIn.HandleAsync);
        await app.StartAsync();
        standIn.BaseUrl = app.Urls.Single().TrimEnd('/');
        return standIn;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    // ---- What was asked ------------------------------------------------------------------------------

    public IReadOnlyList<StripeRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public IReadOnlyList<StripeRequest> RequestsTo(string method, string path) =>
        Requests.Where(r => r.Method == method && r.Path == path).ToList();

    /// <summary>The PaymentIntent creates made for a cart (our client puts metadata[cart_id]).</summary>
    public IReadOnlyList<StripeRequest> IntentCreatesFor(Guid cartId) =>
        RequestsTo("POST", "/v1/payment_intents").Where(r => r.Form.GetValueOrDefault("metadata[cart_id]") == cartId.ToString()).ToList();

    public IReadOnlyList<StripeRequest> RefundsAskedFor(string paymentIntentId) =>
        RequestsTo("POST", "/v1/refunds").Where(r => r.Form.GetValueOrDefault("payment_intent") == paymentIntentId).ToList();

    /// <summary>How many PaymentIntents exist for a cart.</summary>
    public int IntentCountFor(Guid cartId)
    {
        lock (_gate)
        {
            return _intents.Values.Count(i => i["metadata"]?["cart_id"]?.GetValue<string>() == cartId.ToString());
        }
    }

    /// <summary>A copy of the intent as Stripe would send it now.</summary>
    public JsonObject Intent(string id)
    {
        lock (_gate)
        {
            return _intents[id].DeepClone().AsObject();
        }
    }

    public JsonObject Charge(string id)
    {
        lock (_gate)
        {
            return _charges[id].DeepClone().AsObject();
        }
    }

    // ---- Test controls -------------------------------------------------------------------------------

    /// <summary>The shopper paid: status succeeded, amount_received = amount, a charge.</summary>
    public JsonObject SucceedIntent(string id, long? amountReceived = null)
    {
        lock (_gate)
        {
            var intent = _intents[id];
            var chargeId = NewId("ch_");
            var amount = intent["amount"]!.GetValue<long>();
            var charge = FromFixture("charge", _ => new JsonObject());
            charge["id"] = chargeId;
            charge["object"] = "charge";
            charge["amount"] = amount;
            charge["amount_captured"] = amountReceived ?? amount;
            charge["amount_refunded"] = 0L;
            charge["captured"] = true;
            charge["paid"] = true;
            charge["refunded"] = false;
            charge["status"] = "succeeded";
            charge["currency"] = intent["currency"]!.GetValue<string>();
            charge["payment_intent"] = id;
            charge["created"] = Now();
            charge["livemode"] = false;
            charge["metadata"] = intent["metadata"]!.DeepClone();
            _charges[chargeId] = charge;

            intent["status"] = "succeeded";
            intent["amount_received"] = amountReceived ?? amount;
            intent["latest_charge"] = chargeId;
            intent["last_payment_error"] = null;
            intent["payment_method"] = "pm_card_visa";
            return intent.DeepClone().AsObject();
        }
    }

    /// <summary>The card was declined: requires_payment_method with last_payment_error.</summary>
    public JsonObject FailIntent(string id, string message = "Your card was declined.")
    {
        lock (_gate)
        {
            var intent = _intents[id];
            intent["status"] = "requires_payment_method";
            intent["last_payment_error"] = new JsonObject
            {
                ["code"] = "card_declined",
                ["decline_code"] = "generic_decline",
                ["doc_url"] = "https://stripe.com/docs/error-codes/card-declined",
                ["message"] = message,
                ["type"] = "card_error",
            };
            return intent.DeepClone().AsObject();
        }
    }

    /// <summary>Canceled in Stripe (the dashboard, or Stripe's own expiry).</summary>
    public JsonObject CancelIntent(string id)
    {
        lock (_gate)
        {
            var intent = _intents[id];
            intent["status"] = "canceled";
            intent["canceled_at"] = Now();
            intent["cancellation_reason"] = "requested_by_customer";
            return intent.DeepClone().AsObject();
        }
    }

    /// <summary>A refund made in Stripe's dashboard; returns the charge as it is afterwards (for charge.refunded).</summary>
    public JsonObject RefundInDashboard(string paymentIntentId, long amount)
    {
        lock (_gate)
        {
            var (status, body) = CreateRefund(paymentIntentId, amount);
            if (status != 200)
            {
                throw new InvalidOperationException($"The stand-in refused the dashboard refund: {body}");
            }
            return _charges[_intents[paymentIntentId]["latest_charge"]!.GetValue<string>()].DeepClone().AsObject();
        }
    }

    /// <summary>Stripe no longer knows this intent (another account, deleted test data): 404 resource_missing.</summary>
    public void Forget(string paymentIntentId)
    {
        lock (_gate)
        {
            _intents.Remove(paymentIntentId);
        }
    }

    /// <summary>The next <paramref name="count"/> requests answer 500. Saved: the endpoint had started,
    /// so Stripe keeps the 500 under the request's Idempotency-Key and replays it; otherwise the failure
    /// happened before (a load balancer), and nothing is kept.</summary>
    public void FailNext(int count, bool savedUnderIdempotencyKey = false)
    {
        lock (_gate)
        {
            _failNext = count;
            _failSaved = savedUnderIdempotencyKey;
        }
    }

    /// <summary>The next <paramref name="count"/> requests never get an answer (until the caller gives up).</summary>
    public void HangNext(int count)
    {
        lock (_gate)
        {
            _hangNext = count;
        }
    }

    /// <summary>The next request is answered with this Stripe error (status, error type and code), before
    /// its endpoint runs, so nothing is kept under its Idempotency-Key: a 409 idempotency_key_in_use, a 402
    /// card_error, a 400 invalid_request_error.</summary>
    public void AnswerNextWith(int status, string type, string? code, string message)
    {
        lock (_gate)
        {
            _answerNext.Enqueue((status, Error(type, code, message)));
        }
    }

    /// <summary>Runs when a request arrives, before it is answered (to look at the API's database at that moment).</summary>
    public Func<StripeRequest, Task>? OnRequest { get; set; }

    /// <summary>A SEPA debit or ACH payment was submitted: processing, for days, until it succeeds or fails.</summary>
    public JsonObject ProcessIntent(string id)
    {
        lock (_gate)
        {
            var intent = _intents[id];
            intent["status"] = "processing";
            intent["payment_method"] = "pm_sepa_debit";
            return intent.DeepClone().AsObject();
        }
    }

    public void Recover()
    {
        lock (_gate)
        {
            _failNext = 0;
            _hangNext = 0;
            _answerNext.Clear();
        }
    }

    // ---- Webhooks ------------------------------------------------------------------------------------

    /// <summary>An event object in Stripe's shape (API version pinned like our client's).</summary>
    public JsonObject Event(string type, JsonObject dataObject, string? id = null)
    {
        var evt = FromFixture("event", _ => new JsonObject());
        evt["id"] = id ?? NewId("evt_");
        evt["object"] = "event";
        evt["api_version"] = ApiVersion;
        evt["created"] = Now();
        evt["data"] = new JsonObject { ["object"] = dataObject.DeepClone() };
        evt["livemode"] = false;
        evt["pending_webhooks"] = 1;
        evt["request"] = new JsonObject { ["id"] = null, ["idempotency_key"] = null };
        evt["type"] = type;
        return evt;
    }

    /// <summary>Stripe's scheme, written here from its documentation: hex HMAC-SHA256 of "t.body" keyed with the endpoint secret.</summary>
    public static string Signature(string secret, long timestamp, byte[] body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        hmac.TransformBlock(prefix, 0, prefix.Length, null, 0);
        hmac.TransformFinalBlock(body, 0, body.Length);
        return Convert.ToHexStringLower(hmac.Hash!);
    }

    public static string SignatureHeader(string secret, long timestamp, byte[] body, bool extraWrongSignature = false)
    {
        var v1 = Signature(secret, timestamp, body);
        return extraWrongSignature
            ? $"t={timestamp},v1={Signature(secret + "-previous", timestamp, body)},v1={v1},v0={Signature("legacy", timestamp, body)}"
            : $"t={timestamp},v1={v1}";
    }

    /// <summary>Posts the event to the API's webhook as Stripe does.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpClient api, JsonObject evt, WebhookSend? send = null)
    {
        send ??= new WebhookSend();
        var json = evt.ToJsonString();
        var signedAt = (send.SignedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        var header = send.RawHeader ?? SignatureHeader(send.Secret ?? WebhookSecret, signedAt, Encoding.UTF8.GetBytes(json), send.ExtraWrongSignature);
        if (send.AlterBodyAfterSigning is { } alter)
        {
            json = alter(json);
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/webhooks/stripe")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("Stripe", "1.0"));
        if (!send.OmitHeader)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Signature", header);
        }
        return await api.SendAsync(request);
    }

    // ---- The server ----------------------------------------------------------------------------------

    private async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(http.RequestAborted);
        }
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var form = request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true
            ? QueryHelpers.ParseQuery(body).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal)
            : new Dictionary<string, string>();
        var path = request.Path.Value ?? "";
        if (OnRequest is { } onRequest)
        {
            await onRequest(new StripeRequest(request.Method, path, headers, request.ContentType, body, form, 0, ""));
        }

        bool hang;
        bool fail;
        bool failSaved;
        lock (_gate)
        {
            hang = _hangNext > 0;
            if (hang)
            {
                _hangNext--;
            }
            fail = !hang && _failNext > 0;
            failSaved = _failSaved;
            if (fail)
            {
                _failNext--;
            }
        }
        if (hang)
        {
            lock (_gate)
            {
                Record(request.Method, path, headers, request.ContentType, body, form, 0, "");
            }
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _stopping.Token);
            try
            {
                await Task.Delay(Timeout.Infinite, linked.Token);
            }
            catch (OperationCanceledException)
            {
                // the caller gave up, or the stand-in stops
            }
            return;
        }

        int status;
        string response;
        var replayed = false;
        lock (_gate)
        {
            (status, response, replayed) = _answerNext.TryDequeue(out var answer) ? (answer.Status, answer.Body, false)
                : fail && !failSaved
                ? (500, Error("api_error", null, "An unknown error occurred (stand-in outage)."), false)
                : Handle(request.Method, path, headers, request.ContentType, body, form, fail);
            Record(request.Method, path, headers, request.ContentType, body, form, status, response);
        }
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        http.Response.Headers["Request-Id"] = NewId("req_");
        http.Response.Headers["Stripe-Version"] = headers.GetValueOrDefault("Stripe-Version") ?? ApiVersion;
        if (replayed)
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
        }
        await http.Response.WriteAsync(response, http.RequestAborted);
    }

    private void Record(string method, string path, Dictionary<string, string> headers, string? contentType, string body, Dictionary<string, string> form, int status, string response) =>
        _requests.Add(new StripeRequest(method, path, headers, contentType, body, form, status, response));

    /// <summary>Runs under the lock: authentication, version, idempotency, then the endpoint.</summary>
    private (int Status, string Body, bool Replayed) Handle(
        string method, string path, Dictionary<string, string> headers, string? contentType, string body, Dictionary<string, string> form, bool failInside)
    {
        var authorization = headers.GetValueOrDefault("Authorization") ?? "";
        if (authorization != "Bearer " + SecretKey)
        {
            return (401, Error("invalid_request_error", null,
                authorization.StartsWith("Bearer ", StringComparison.Ordinal)
                    ? $"Invalid API Key provided: {Mask(authorization["Bearer ".Length..])}"
                    : "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth."), false);
        }
        if (!headers.TryGetValue("Stripe-Version", out var version) || string.IsNullOrEmpty(version))
        {
            return (400, Error("invalid_request_error", "stripe_version_missing", "This stand-in requires a pinned Stripe-Version header."), false);
        }
        if (version != ApiVersion)
        {
            return (400, Error("invalid_request_error", "api_version_invalid", $"Invalid Stripe API version: {version}"), false);
        }
        if (method == "POST" && body.Length > 0 && form.Count == 0)
        {
            return (400, Error("invalid_request_error", null,
                $"Invalid request: Stripe expects application/x-www-form-urlencoded parameters, not {contentType ?? "no content type"}."), false);
        }

        string? key = null;
        string? fingerprint = null;
        if (method == "POST" && headers.TryGetValue("Idempotency-Key", out var sent))
        {
            key = sent;
            if (key.Length > MaxIdempotencyKeyLength)
            {
                return (400, Error("invalid_request_error", null,
                    $"Keys for idempotent requests can only be {MaxIdempotencyKeyLength} characters long and can't be empty. Try a shorter key."), false);
            }
            fingerprint = method + " " + path + "\n" + string.Join("&", form.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value));
            if (_idempotency.TryGetValue(key, out var saved))
            {
                return saved.Fingerprint == fingerprint
                    ? (saved.Status, saved.Body, true)
                    : (400, Error("idempotency_error", null,
                        $"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."), false);
            }
        }

        var (status, response) = failInside
            ? (500, Error("api_error", null, "An unknown error occurred."))
            : Route(method, path, form);
        // Saved once the endpoint ran (validation errors are not saved), as Stripe does.
        if (key is not null && fingerprint is not null && (status == 200 || status >= 500 || IsEndpointError(response)))
        {
            _idempotency[key] = (fingerprint, status, response);
        }
        return (status, response, false);
    }

    private static bool IsEndpointError(string response)
    {
        var code = JsonNode.Parse(response)?["error"]?["code"]?.GetValue<string>();
        return code is "payment_intent_unexpected_state" or "charge_already_refunded" or "amount_too_large";
    }

    private (int, string) Route(string method, string path, Dictionary<string, string> form)
    {
        var segments = path.Trim('/').Split('/');
        switch (method, segments)
        {
            case ("POST", ["v1", "payment_intents"]):
                return CreateIntent(form);
            case ("GET", ["v1", "payment_intents", var id]):
                return _intents.TryGetValue(id, out var intent) ? (200, intent.ToJsonString()) : Missing("payment_intent", id);
            case ("POST", ["v1", "payment_intents", var id, "cancel"]):
                return CancelViaApi(id);
            case ("POST", ["v1", "refunds"]):
                if (!form.TryGetValue("payment_intent", out var pi))
                {
                    return (400, Error("invalid_request_error", "parameter_missing", "One of the following params should be provided for this request: payment_intent or charge.", "payment_intent"));
                }
                long? amount = null;
                if (form.TryGetValue("amount", out var raw))
                {
                    if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed <= 0)
                    {
                        return (400, Error("invalid_request_error", "parameter_invalid_integer", "Invalid positive integer", "amount"));
                    }
                    amount = parsed;
                }
                return CreateRefund(pi, amount);
            default:
                return (404, Error("invalid_request_error", null, $"Unrecognized request URL ({method}: {path})."));
        }
    }

    private (int, string) CreateIntent(Dictionary<string, string> form)
    {
        if (!form.TryGetValue("amount", out var rawAmount))
        {
            return (400, Error("invalid_request_error", "parameter_missing", "Missing required param: amount.", "amount"));
        }
        if (!long.TryParse(rawAmount, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount < 1)
        {
            return (400, Error("invalid_request_error", "parameter_invalid_integer", "Invalid positive integer", "amount"));
        }
        if (!form.TryGetValue("currency", out var currency) || currency.Length != 3)
        {
            return (400, Error("invalid_request_error", "parameter_missing", "Missing required param: currency.", "currency"));
        }
        var id = NewId("pi_");
        var intent = FromFixture("payment_intent", _ => new JsonObject());
        intent["id"] = id;
        intent["object"] = "payment_intent";
        intent["amount"] = amount;
        intent["amount_capturable"] = 0L;
        intent["amount_received"] = 0L;
        intent["automatic_payment_methods"] = new JsonObject { ["enabled"] = form.GetValueOrDefault("automatic_payment_methods[enabled]") == "true" };
        intent["canceled_at"] = null;
        intent["cancellation_reason"] = null;
        intent["capture_method"] = "automatic";
        intent["client_secret"] = $"{id}_secret_{RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 25)}";
        intent["confirmation_method"] = "automatic";
        intent["created"] = Now();
        intent["currency"] = currency.ToLowerInvariant();
        intent["description"] = form.GetValueOrDefault("description");
        intent["last_payment_error"] = null;
        intent["latest_charge"] = null;
        intent["livemode"] = false;
        var metadata = new JsonObject();
        foreach (var (name, value) in form.Where(p => p.Key.StartsWith("metadata[", StringComparison.Ordinal) && p.Key.EndsWith(']')))
        {
            metadata[name["metadata[".Length..^1]] = value;
        }
        intent["metadata"] = metadata;
        intent["next_action"] = null;
        intent["payment_method"] = null;
        intent["processing"] = null;
        intent["status"] = "requires_payment_method";
        _intents[id] = intent;
        return (200, intent.ToJsonString());
    }

    private (int, string) CancelViaApi(string id)
    {
        if (!_intents.TryGetValue(id, out var intent))
        {
            return Missing("payment_intent", id);
        }
        var status = intent["status"]!.GetValue<string>();
        // "processing" may be canceled only for a few payment methods ("in rare cases"); not for SEPA or ACH debits.
        if (status is "succeeded" or "canceled" or "processing")
        {
            return (400, Error("invalid_request_error", "payment_intent_unexpected_state",
                $"You cannot cancel this PaymentIntent because it has a status of {status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing."));
        }
        intent["status"] = "canceled";
        intent["canceled_at"] = Now();
        intent["cancellation_reason"] = "requested_by_customer";
        return (200, intent.ToJsonString());
    }

    private (int, string) CreateRefund(string paymentIntentId, long? requested)
    {
        if (!_intents.TryGetValue(paymentIntentId, out var intent))
        {
            return Missing("payment_intent", paymentIntentId);
        }
        if (intent["status"]!.GetValue<string>() != "succeeded" || intent["latest_charge"]?.GetValue<string>() is not { } chargeId)
        {
            return (400, Error("invalid_request_error", null, $"This PaymentIntent ({paymentIntentId}) does not have a successful charge to refund."));
        }
        var charge = _charges[chargeId];
        var remaining = charge["amount_captured"]!.GetValue<long>() - charge["amount_refunded"]!.GetValue<long>();
        if (remaining <= 0)
        {
            return (400, Error("invalid_request_error", "charge_already_refunded", $"Charge {chargeId} has already been refunded."));
        }
        var amount = requested ?? remaining;
        if (amount > remaining)
        {
            return (400, Error("invalid_request_error", "amount_too_large",
                $"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})", "amount"));
        }
        var refund = FromFixture("refund", _ => new JsonObject());
        refund["id"] = NewId("re_");
        refund["object"] = "refund";
        refund["amount"] = amount;
        refund["charge"] = chargeId;
        refund["created"] = Now();
        refund["currency"] = intent["currency"]!.GetValue<string>();
        refund["metadata"] = new JsonObject();
        refund["payment_intent"] = paymentIntentId;
        refund["reason"] = null;
        refund["status"] = "succeeded";
        _refunds[refund["id"]!.GetValue<string>()] = refund;
        charge["amount_refunded"] = charge["amount_refunded"]!.GetValue<long>() + amount;
        charge["refunded"] = charge["amount_refunded"]!.GetValue<long>() == charge["amount_captured"]!.GetValue<long>();
        return (200, refund.ToJsonString());
    }

    private JsonObject FromFixture(string resource, Func<string, JsonObject> fallback) =>
        _fixtures?[resource] is JsonObject example ? example.DeepClone().AsObject() : fallback(resource);

    private static (int, string) Missing(string kind, string id) =>
        (404, Error("invalid_request_error", "resource_missing", $"No such {kind}: '{id}'", "id"));

    private static string Error(string type, string? code, string message, string? param = null)
    {
        var error = new JsonObject { ["type"] = type, ["message"] = message };
        if (code is not null)
        {
            error["code"] = code;
            error["doc_url"] = $"https://stripe.com/docs/error-codes/{code.Replace('_', '-')}";
        }
        if (param is not null)
        {
            error["param"] = param;
        }
        error["request_log_url"] = "https://dashboard.stripe.com/test/logs/" + NewId("req_");
        return new JsonObject { ["error"] = error }.ToJsonString();
    }

    private static string Mask(string key) => key.Length <= 8 ? "***" : key[..7] + new string('*', 16) + key[^4..];

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static string NewId(string prefix) =>
        prefix + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 24);

    /// <summary>The body of a response or event as JSON, for assertions.</summary>
    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
