using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Features.Email;
using Headless.Api.Platform.Outbox;
using Microsoft.Extensions.Configuration;

namespace Headless.Tests.Email;

/// <summary>How the email sender retries: a relay that is down is waited out (in order, one try at a time), a
/// recipient refused for good is dead-lettered at once without holding back the mail behind it.</summary>
public sealed class EmailRetryTests(EmailApiFactory api) : IClassFixture<EmailApiFactory>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static EmailRequest Confirm(string to) =>
        new("confirm-email", to, "Ada", new JsonObject { ["name"] = "Ada", ["link"] = "https://shop.example/confirm" });

    private static string Address(string prefix = "customer") => $"{prefix}-{Guid.NewGuid():N}@example.test";

    [Fact]
    public void The_default_schedule_rides_out_an_hour_of_outage_without_hammering_the_relay()
    {
        var options = EmailSetup.ConsumerOptions(new ConfigurationBuilder().Build());

        Assert.True(options.RetryWindow >= TimeSpan.FromHours(1), $"retried for only {options.RetryWindow}");
        // One connection per try: a handful in the first seconds, then one every 5 minutes (plus jitter).
        Assert.InRange(options.MaxAttempts, 10, 30);
        Assert.Equal(TimeSpan.FromMinutes(5), options.RetryDelay(options.MaxAttempts - 1));
        Assert.Equal(TimeSpan.FromSeconds(1), options.RetryDelay(1));
        for (var i = 0; i < 200; i++)
        {
            Assert.InRange(options.JitteredRetryDelay(20), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(6));
        }

        // Configuration still wins over the email defaults.
        var configured = EmailSetup.ConsumerOptions(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Headless:Outbox:Consumers:email:MaxAttempts"] = "3",
            ["Headless:Outbox:Consumers:email:RetryJitter"] = "0",
        }).Build());
        Assert.Equal(3, configured.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(3), configured.RetryWindow);
        Assert.Throws<InvalidOperationException>(() => new OutboxConsumerOptions { RetryJitter = 1.5 }.Validate());
    }

    [Fact]
    public async Task An_smtp_outage_longer_than_the_old_eight_tries_is_waited_out_and_the_mail_is_sent_once()
    {
        var port = Eventually.FreeTcpPort();
        var factory = new EmailHostFactory().UseSmtp(port);
        // The email defaults' number of tries, on a clock shortened for the test: 100 ms doubling to 1 s.
        factory.Settings.Remove("Headless:Outbox:Consumers:email:MaxAttempts");
        factory.Settings["Headless:Outbox:Consumers:email:RetryMaxDelay"] = "00:00:01";
        await factory.InitializeAsync();
        try
        {
            var consumer = factory.EmailConsumer;
            var to = Address();
            var id = await factory.EnqueueAsync(Confirm(to));
            // Nothing listens on the port: every try is a refused connection. The old schedule gave up after 8.
            await Eventually.WaitUntilAsync(() => consumer.FailedAttempts >= 10, Timeout, "the send failed ten times while the server is down");

            await using var sink = await SmtpSink.StartAsync(port);
            await sink.WaitForMailAsync(m => m.To.Contains(to), Timeout);
            await using var conn = await factory.Db.OpenConnectionAsync();
            await Eventually.WaitUntilAsync(async () => await conn.ExecuteScalarAsync<bool>(
                "select exists (select 1 from email_deliveries where outbox_id = @id)", new { id }), Timeout, "the delivery is recorded");
            Assert.Single(sink.Received());
            Assert.Equal(0, await conn.ExecuteScalarAsync<int>("select count(*) from outbox_failures"));
        }
        finally
        {
            await factory.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_recipient_refused_with_550_is_dead_lettered_at_once_and_the_next_mail_is_not_held_back()
    {
        var refused = Address("rejected");
        var next = Address();
        var failedBefore = api.EmailConsumer.FailedAttempts;
        var refusedId = await api.EnqueueAsync(Confirm(refused));
        await api.EnqueueAsync(Confirm(next));

        await api.Sink.WaitForMailAsync(m => m.To.Contains(next), Timeout);
        await using var conn = await api.Db.OpenConnectionAsync();
        await Eventually.WaitUntilAsync(async () => await conn.ExecuteScalarAsync<bool>(
            "select exists (select 1 from outbox_failures where consumer = 'email' and outbox_id = @refusedId)", new { refusedId }),
            Timeout, "the refused mail is dead-lettered");
        var failure = await conn.QuerySingleAsync<(int Attempts, string Error)>(
            "select attempts, error from outbox_failures where consumer = 'email' and outbox_id = @refusedId", new { refusedId });
        // One try, no backoff: the mail behind it went out in the same round.
        Assert.Equal(1, failure.Attempts);
        Assert.Equal(1, api.EmailConsumer.FailedAttempts - failedBefore);
        Assert.StartsWith("OutboxEventRejectedException <- SmtpFailedRecipientException(MailboxUnavailable)", failure.Error);
        Assert.Contains("refused the recipient permanently (550 MailboxUnavailable)", failure.Error);
        Assert.DoesNotContain(refused, failure.Error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(api.Sink.Received(), m => m.To.Contains(refused));
        Assert.False(await conn.ExecuteScalarAsync<bool>("select exists (select 1 from email_deliveries where outbox_id = @refusedId)", new { refusedId }));
    }

    [Fact]
    public async Task A_recipient_answered_with_451_is_retried_and_sent_once()
    {
        var greylisted = Address("greylisted");
        var failedBefore = api.EmailConsumer.FailedAttempts;
        var id = await api.EnqueueAsync(Confirm(greylisted));

        await api.Sink.WaitForMailAsync(m => m.To.Contains(greylisted), Timeout);
        await using var conn = await api.Db.OpenConnectionAsync();
        await Eventually.WaitUntilAsync(async () => await conn.ExecuteScalarAsync<bool>(
            "select exists (select 1 from email_deliveries where outbox_id = @id)", new { id }), Timeout, "the delivery is recorded");
        Assert.True(api.EmailConsumer.FailedAttempts - failedBefore >= 1, "the first try was refused with 451");
        Assert.Single(api.Sink.Received(), m => m.To.Contains(greylisted));
        Assert.False(await conn.ExecuteScalarAsync<bool>("select exists (select 1 from outbox_failures where outbox_id = @id)", new { id }));
    }
}
