using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Features.Email;

/// <summary>Sends the mails queued with <see cref="EmailQueue"/>. Starts from the first outbox row the
/// first time, so mail queued before the sender ever ran still goes out. A redelivered event is not
/// sent twice: `email_deliveries` is checked before sending and written right after; a database that is down
/// at that moment (a restart) is waited for, since giving up would hand the event out again and send it twice.
/// The mail itself is read from the recipient's vault at send time and deleted there once sent; a shredded
/// recipient's mail is dropped, and a mail whose recipient lives in another region is skipped (that region's API sends
/// it).</summary>
public sealed class EmailConsumer(
    NpgsqlDataSource db, EmailSender sender, IOptions<EmailOptions> options, PersonalDataVault vault, OutboxConsumerOptions consumerOptions,
    ILogger<EmailConsumer> log)
    : OutboxConsumer(db, consumerOptions, log)
{
    public const string ConsumerName = "email";

    public override string Name => ConsumerName;

    private long _skippedOtherRegion;

    /// <summary>Mails skipped since start because their person lives in a region this API does not serve.</summary>
    public long SkippedOtherRegion => Interlocked.Read(ref _skippedOtherRegion);

    public override IReadOnlySet<string> Topics { get; } = new HashSet<string>(StringComparer.Ordinal) { EmailQueue.Topic };

    protected override bool StartFromBeginning => true;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        log.LogInformation("Email sender started; mail goes to the {Transport}; a failing send is retried for {RetryMinutes:0} min before it is dead-lettered",
            sender.Transport, RetryWindow.TotalMinutes);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task HandleAsync(OutboxEvent e, CancellationToken ct)
    {
        await using (var conn = await Db.OpenConnectionAsync(ct))
        {
            var sent = await conn.ExecuteScalarAsync<bool>(new CommandDefinition(
                "select exists (select 1 from email_deliveries where outbox_id = @Id)", new { e.Id }, cancellationToken: ct));
            if (sent)
            {
                log.LogInformation("Email for outbox event {OutboxId} was already sent; skipped", e.Id);
                return;
            }
        }

        var vaulted = EmailQueue.VaultedMail(e.Payload);
        JsonObject? content = null;
        if (vaulted is { } at)
        {
            if (!vault.Serves(at.Person.Region))
            {
                // The person lives in a vault only the other region's API may open, and that API sends their mail:
                // retrying here could never succeed, and a dead letter would page someone for nothing.
                Interlocked.Increment(ref _skippedOtherRegion);
                log.LogInformation("Email for outbox event {OutboxId} belongs to the {Region} region; skipped (that region's API sends it)", e.Id, at.Person.Region);
                return;
            }
            // A shredded person (or a field already deleted) leaves nothing to send: the mail is dropped, not retried.
            var fields = await vault.GetAsync(at.Person, ct);
            if (fields?.GetValueOrDefault(at.Field) is not { } stored)
            {
                log.LogInformation("Email for outbox event {OutboxId} was erased before it was sent; skipped", e.Id);
                return;
            }
            content = JsonNode.Parse(stored) as JsonObject ?? throw new OutboxEventRejectedException("The queued mail in the vault is not an object.");
        }
        if (EmailQueue.FromPayload(e.Payload, e.AggregateId, content) is not { } request)
        {
            log.LogInformation("Email for outbox event {OutboxId} was erased before it was sent; skipped", e.Id);
            return;
        }
        var rendered = EmailTemplates.Render(request.Template, request.Model, options.Value.ShopNameOrDefault, options.Value.TestMode);
        await sender.SendAsync(request, rendered, sender.MessageId(e.Id, e.CreatedAt), ct);

        // Recorded as soon as it is sent, outside the consumer's transaction, so even a round that fails
        // to commit later does not send it again.
        await RecordSentAsync(e.Id, request.Template, ct);
        if (vaulted is { } done)
        {
            // Mail is kept no longer than it takes to send it.
            await DeleteSentAsync(done.Person, done.Field);
        }
        log.LogInformation("Email {Template} for outbox event {OutboxId} sent", request.Template, e.Id);
    }

    /// <summary>How long a sent email's record waits for a database that is down before the event is given
    /// back (and sent again: at-least-once, with the same Message-ID).</summary>
    private static readonly TimeSpan RecordPatience = TimeSpan.FromMinutes(2);

    private async Task RecordSentAsync(long outboxId, string template, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var conn = await Db.OpenConnectionAsync(CancellationToken.None);
                await conn.ExecuteAsync("""
                    insert into email_deliveries (outbox_id, template, sent_at) values (@outboxId, @template, now())
                    on conflict (outbox_id) do nothing
                    """, new { outboxId, template });
                return;
            }
            catch (Exception ex) when (Platform.Problems.DatabaseUnavailable.Is(ex) && clock.Elapsed < RecordPatience && !ct.IsCancellationRequested)
            {
                log.LogWarning("Email for outbox event {OutboxId} was sent but the database is unavailable to record it ({Error}); retrying in {DelayMs} ms",
                    outboxId, OutboxErrors.Describe(ex), (int)delay.TotalMilliseconds);
            }
            await Task.Delay(delay, ct);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
        }
    }

    private async Task DeleteSentAsync(PersonRef person, string field)
    {
        try
        {
            await vault.PutAsync(person, new Dictionary<string, string?> { [field] = null }, CancellationToken.None);
        }
        catch (PersonNotFoundException)
        {
            // Shredded meanwhile: the field went with the person.
        }
    }
}
