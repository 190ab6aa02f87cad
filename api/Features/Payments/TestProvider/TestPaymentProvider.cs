using System.Security.Cryptography;
using Dapper;
using Npgsql;

namespace Headless.Api.Features.Payments.TestProvider;

/// <summary>
/// TEST ONLY — no money moves. The payment provider when no Stripe key is configured, so a fresh
/// `./build.sh run` can take a whole order. It behaves like Stripe test mode: an intent per order, the
/// browser confirms it with a test card (4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is
/// declined), and the result arrives like Stripe's. Like Stripe, a create repeated with the same
/// idempotency key answers the same intent (its id and secret are keyed hashes of the idempotency key, so
/// nothing is stored until the order attaches it); once attached, its intents live in the payments table.
/// </summary>
public sealed class TestPaymentProvider(NpgsqlDataSource db) : IPaymentProvider
{
    public const string SucceedsCard = "4242424242424242";
    public const string DeclinedCard = "4000000000000002";
    public const string InsufficientFundsCard = "4000000000009995";

    public string Name => "test";
    public bool TestMode => true;
    public string? PublishableKey => null;

    // Per process: an intent created but never attached (the process stopped in between) is simply not found again.
    private readonly byte[] _idKey = RandomNumberGenerator.GetBytes(32);

    public Task<PaymentIntentInfo> CreateIntentAsync(PaymentIntentCreate create, CancellationToken ct)
    {
        var id = "pi_test_" + Keyed("id", create.IdempotencyKey);
        return Task.FromResult(new PaymentIntentInfo(id, id + "_secret_" + Keyed("secret", create.IdempotencyKey), "requires_payment_method",
            create.Amount, 0, create.Currency, null));
    }

    public async Task<PaymentIntentInfo> RetrieveIntentAsync(string id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await FindAsync(conn, id) ?? throw new PaymentProviderException($"No such payment intent: '{id}'.", unavailable: false, "resource_missing");
    }

    public async Task<PaymentIntentInfo> CancelIntentAsync(string id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await conn.ExecuteAsync("""
            update payments set status = 'canceled', updated_at = now()
            where provider = 'test' and provider_ref = @id and status not in ('succeeded', 'canceled')
            """, new { id });
        return await FindAsync(conn, id) ?? throw new PaymentProviderException($"No such payment intent: '{id}'.", unavailable: false, "resource_missing");
    }

    public Task<RefundInfo> RefundAsync(string paymentIntentId, long amount, string idempotencyKey, CancellationToken ct) =>
        // Deterministic per key, like Stripe's idempotent refunds: a retried refund is the same refund.
        Task.FromResult(new RefundInfo("re_test_" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(idempotencyKey)))[..24], "succeeded", amount));

    /// <summary>What a test card does, as Stripe test mode would: null when it pays, else the decline.</summary>
    public static string? Decline(string cardNumber) => cardNumber switch
    {
        SucceedsCard => null,
        DeclinedCard => "Your card was declined.",
        InsufficientFundsCard => "Your card has insufficient funds.",
        _ => "Use a test card: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined. Real card numbers are refused.",
    };

    internal static Task<PaymentIntentInfo?> FindAsync(NpgsqlConnection conn, string id, NpgsqlTransaction? tx = null) =>
        conn.QuerySingleOrDefaultAsync<PaymentIntentInfo?>("""
            select provider_ref as id, client_secret, status, amount,
                   case when status = 'succeeded' then amount else 0 end as amount_received, currency, last_error
            from payments where provider = 'test' and provider_ref = @id
            """, new { id }, tx);

    private string Keyed(string purpose, string idempotencyKey) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_idKey, System.Text.Encoding.UTF8.GetBytes(purpose + "\n" + idempotencyKey)))[..24];
}
