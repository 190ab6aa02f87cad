using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Features.Email;
using Headless.Api.Platform.Outbox;

namespace Headless.Tests.Email;

/// <summary>Email queued in a transaction through the outbox and delivered to a real SMTP server.</summary>
public sealed class EmailDeliveryTests(EmailApiFactory api) : IClassFixture<EmailApiFactory>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static string Recipient() => $"customer-{Guid.NewGuid():N}@example.test";

    private static EmailRequest Confirm(string to, string link, string name = "Ada") =>
        new("confirm-email", to, name, new JsonObject { ["name"] = name, ["link"] = link });

    [Fact]
    public async Task A_committed_email_arrives_over_smtp_and_a_rolled_back_one_never_does()
    {
        var rolledBack = Recipient();
        var committed = Recipient();
        var link = $"https://shop.example/account/confirm?token={Guid.NewGuid():N}&user=42";

        await api.EnqueueAsync(Confirm(rolledBack, "https://shop.example/never"), commit: false);
        var id = await api.EnqueueAsync(Confirm(committed, link));

        var mail = await api.Sink.WaitForMailAsync(m => m.To.Contains(committed), Timeout);
        Assert.Equal("Confirm your email address for Test Shop", mail.Subject);
        Assert.Equal("shop@headless.local", mail.From);
        Assert.Contains("Hi Ada,", mail.Text);
        Assert.Contains(link, mail.Text);
        Assert.Contains(link, WebUtility.HtmlDecode(mail.Html));
        Assert.Contains("Test Shop", mail.Html);
        Assert.Contains("<html", mail.Html);
        Assert.DoesNotContain("<", mail.Text);
        Assert.StartsWith($"<email.{id}.", mail.MessageId);
        Assert.Equal("auto-generated", mail.Headers["auto-submitted"]);
        Assert.Contains("multipart/alternative", mail.Headers["content-type"]);

        // The rolled-back mail was queued first: had it existed, it would have been sent before this one.
        Assert.DoesNotContain(api.Sink.Received(), m => m.To.Contains(rolledBack));
        // Recorded right after the send, so a redelivery of this event is not sent again.
        await Eventually.WaitUntilAsync(async () =>
        {
            await using var conn = await api.Db.OpenConnectionAsync();
            return await conn.ExecuteScalarAsync<string>("select template from email_deliveries where outbox_id = @id", new { id }) == "confirm-email";
        }, Timeout, "the delivery is recorded");
    }

    [Fact]
    public async Task Model_values_are_html_escaped_in_the_html_part_only()
    {
        var to = Recipient();
        var name = "<script>alert('x')</script> & Co";
        await api.EnqueueAsync(Confirm(to, "https://shop.example/c?t=1", name));

        var mail = await api.Sink.WaitForMailAsync(m => m.To.Contains(to), Timeout);
        Assert.Contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Co", mail.Html);
        Assert.DoesNotContain("<script>", mail.Html);
        Assert.Contains($"Hi {name},", mail.Text);
    }

    [Fact]
    public async Task A_redelivered_event_is_not_sent_twice()
    {
        var first = Recipient();
        var firstId = await api.EnqueueAsync(new EmailRequest("password-changed", first, null, new JsonObject()));
        var mail = await api.Sink.WaitForMailAsync(m => m.To.Contains(first), Timeout);
        Assert.Contains("Hi,", mail.Text);

        // Redelivery: the consumer's position goes back to the start, so every email event comes again.
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            Assert.Equal(1, await conn.ExecuteAsync("update outbox_consumers set position_txid = '0', position_id = 0 where name = 'email'"));
        }
        var later = Recipient();
        await api.EnqueueAsync(new EmailRequest("mfa-enabled", later, "Grace", new JsonObject { ["name"] = "Grace" }));
        var laterMail = await api.Sink.WaitForMailAsync(m => m.To.Contains(later), Timeout);

        Assert.Equal("Two-step verification is on for your Test Shop account", laterMail.Subject);
        Assert.Single(api.Sink.Received(), m => m.To.Contains(first));
        await using var check = await api.Db.OpenConnectionAsync();
        Assert.Equal(1, await check.ExecuteScalarAsync<int>("select count(*) from email_deliveries where outbox_id = @firstId", new { firstId }));
    }

    [Fact]
    public async Task An_erased_mail_is_skipped_and_a_malformed_one_is_dead_lettered_without_retries()
    {
        var erased = Recipient();
        long malformedId;
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            await using var tx = await conn.BeginTransactionAsync();
            await EmailQueue.EnqueueAsync(new WriteLog(conn, tx, Actor.System("test")) { Vault = api.Vault }, Confirm(erased, "https://shop.example/erased"));
            // What a GDPR erasure does to the queued mail of the person it erases.
            await conn.ExecuteAsync("update outbox set payload = '{\"erased\": true}' where txid = pg_current_xact_id()", transaction: tx);
            malformedId = await conn.ExecuteScalarAsync<long>(
                "insert into outbox (topic, aggregate_type, aggregate_id, payload) values ('email.requested', 'email', 'anonymous', '{\"template\": \"gone\"}') returning id",
                transaction: tx);
            await tx.CommitAsync();
        }
        var later = Recipient();
        await api.EnqueueAsync(Confirm(later, "https://shop.example/later"));

        await api.Sink.WaitForMailAsync(m => m.To.Contains(later), Timeout);
        Assert.DoesNotContain(api.Sink.Received(), m => m.To.Contains(erased));
        // The dead letter commits with the round that sent the later mail, a moment after the send.
        await using var check = await api.Db.OpenConnectionAsync();
        await Eventually.WaitUntilAsync(async () => await check.ExecuteScalarAsync<bool>(
            "select exists (select 1 from outbox_failures where consumer = 'email' and outbox_id = @malformedId)", new { malformedId }),
            Timeout, "the malformed mail is dead-lettered");
        var failure = await check.QuerySingleAsync<(int Attempts, string Error)>(
            "select attempts, error from outbox_failures where consumer = 'email' and outbox_id = @malformedId", new { malformedId });
        Assert.Equal(1, failure.Attempts);
        Assert.StartsWith("OutboxEventRejectedException", failure.Error);
    }

    [Fact]
    public async Task Unknown_templates_and_bad_addresses_fail_when_queued()
    {
        await using var conn = await api.Db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var log = new WriteLog(conn, tx, Actor.System("test")) { Vault = api.Vault };

        var unknown = await Assert.ThrowsAsync<ArgumentException>(() =>
            EmailQueue.EnqueueAsync(log, new EmailRequest("confirm-emial", Recipient(), null, [])));
        Assert.Contains("confirm-emial", unknown.Message);
        Assert.Contains("confirm-email", unknown.Message);
        await Assert.ThrowsAsync<ArgumentException>(() =>
            EmailQueue.EnqueueAsync(log, new EmailRequest("confirm-email", "not an address", null, [])));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            EmailQueue.EnqueueAsync(log, new EmailRequest("confirm-email", "a@example.test\r\nBcc: b@example.test", null, [])));
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>("select count(*) from outbox where txid = pg_current_xact_id()", transaction: tx));
    }

    [Fact]
    public void Every_template_renders_its_subject_text_and_html()
    {
        Assert.Subset(EmailTemplates.Names.ToHashSet(), new HashSet<string> { "confirm-email", "mfa-disabled", "mfa-enabled", "password-changed", "reset-password", "order-confirmation", "order-shipped" });
        var model = new JsonObject { ["name"] = "Ada", ["link"] = "https://shop.example/x?t=abc", ["expiresInMinutes"] = 30 };
        foreach (var name in EmailTemplates.Names)
        {
            var mail = EmailTemplates.Render(name, model, "Acme & Sons");
            Assert.False(string.IsNullOrWhiteSpace(mail.Subject), name);
            Assert.DoesNotContain('\n', mail.Subject);
            Assert.Contains("Hi Ada,", mail.Text);
            Assert.Contains("Hi Ada,", mail.Html);
            Assert.Contains("Acme &amp; Sons", mail.Html);
            Assert.EndsWith("Acme & Sons\nThis is an automatic message about your account or your orders. Please do not reply to it.\n", mail.Text);
            Assert.DoesNotContain("{{", mail.Text + mail.Html + mail.Subject);
        }
        var reset = EmailTemplates.Render("reset-password", model, "Shop");
        Assert.Contains("expires in 30 minutes", reset.Text);
        Assert.Contains("href=\"https://shop.example/x?t&#x3D;abc\"", reset.Html);
        Assert.Contains("https://shop.example/x?t=abc", reset.Text);
    }

    [Fact]
    public async Task When_the_smtp_server_is_down_the_mail_is_retried_until_it_comes_up()
    {
        var port = Eventually.FreeTcpPort();
        var factory = new EmailHostFactory().UseSmtp(port);
        await factory.InitializeAsync();
        try
        {
            var consumer = factory.EmailConsumer;
            var to = Recipient();
            await factory.EnqueueAsync(Confirm(to, "https://shop.example/retry"));
            await Eventually.WaitUntilAsync(() => consumer.FailedAttempts >= 2, Timeout, "sending failed twice while the server is down");

            await using var sink = await SmtpSink.StartAsync(port);
            var mail = await sink.WaitForMailAsync(m => m.To.Contains(to), Timeout);
            Assert.Contains("https://shop.example/retry", mail.Text);
            Assert.Single(sink.Received());
            await using var conn = await factory.Db.OpenConnectionAsync();
            Assert.Equal(0, await conn.ExecuteScalarAsync<int>("select count(*) from outbox_failures"));
        }
        finally
        {
            await factory.DisposeAsync();
        }
    }

    [Fact]
    public async Task Without_an_smtp_host_mail_is_written_to_the_pickup_folder()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"headless-mail-{Guid.NewGuid():N}");
        var factory = new EmailHostFactory();
        factory.Settings["Headless:Email:PickupDirectory"] = folder;
        await factory.InitializeAsync();
        try
        {
            _ = factory.EmailConsumer;
            var to = Recipient();
            var id = await factory.EnqueueAsync(new EmailRequest("reset-password", to, "Ada Lovelace",
                new JsonObject { ["name"] = "Ada", ["link"] = "https://shop.example/reset?token=t0k3n", ["expiresInMinutes"] = 45 }));

            // The delivery is recorded once the send returned, that is once the file is complete.
            await Eventually.WaitUntilAsync(async () =>
            {
                await using var conn = await factory.Db.OpenConnectionAsync();
                return await conn.ExecuteScalarAsync<bool>("select exists (select 1 from email_deliveries where outbox_id = @id)", new { id });
            }, Timeout, "the mail is written");
            var file = Assert.Single(Directory.GetFiles(folder, "*.eml"));
            // Written for people to read: the text part is plain 8-bit, so the link can be copied out of it.
            var raw = await File.ReadAllTextAsync(file);
            Assert.Contains($"Message-ID: <email.{id}.", raw);
            Assert.Contains("https://shop.example/reset?token=t0k3n", raw);

            var mail = await ParseEmlAsync(file);
            Assert.Equal([to], mail.To);
            Assert.Equal("Reset your Test Shop password", mail.Subject);
            Assert.Contains("https://shop.example/reset?token=t0k3n", mail.Text);
            Assert.Contains("expires in 45 minutes", mail.Text);
            Assert.Contains("https://shop.example/reset?token=t0k3n", WebUtility.HtmlDecode(mail.Html));
        }
        finally
        {
            await factory.DisposeAsync();
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public async Task The_outbox_payload_names_nobody_and_the_vaulted_mail_is_deleted_once_sent()
    {
        var to = Recipient();
        var person = await api.Vault.CreatePersonAsync("US");
        var id = await api.EnqueueAsync(new EmailRequest("mfa-enabled", to, "Grace Hopper", new JsonObject { ["name"] = "Grace Hopper" }, Person: person));

        await using var conn = await api.Db.OpenConnectionAsync();
        var payload = JsonNode.Parse(await conn.ExecuteScalarAsync<string>("select payload::text from outbox where id = @id", new { id }) ?? "{}")!.AsObject();
        Assert.DoesNotContain(to, payload.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Grace", payload.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("mfa-enabled", payload["template"]!.GetValue<string>());
        Assert.Equal(person.Id.ToString(), payload["person"]!["id"]!.GetValue<string>());
        Assert.Equal("us", payload["person"]!["region"]!.GetValue<string>());
        var field = payload["mail"]!.GetValue<string>();
        Assert.Matches("^mail\\.[0-9a-f]{32}$", field);

        var mail = await api.Sink.WaitForMailAsync(m => m.To.Contains(to), Timeout);
        Assert.Contains("Hi Grace Hopper,", mail.Text);
        // Kept no longer than needed: the field goes once the mail is sent.
        await Eventually.WaitUntilAsync(async () => !(await api.Vault.GetAsync(person))!.ContainsKey(field), Timeout, "the sent mail leaves the vault");
    }

    [Fact]
    public async Task Without_a_person_the_recipient_is_found_or_created_by_email_in_the_apis_region()
    {
        var to = Recipient();
        var existing = await api.Vault.FindOrCreateByEmailAsync(to, "US");
        var id = await api.EnqueueAsync(Confirm(to, "https://shop.example/found"));
        await using var conn = await api.Db.OpenConnectionAsync();
        var payload = JsonNode.Parse(await conn.ExecuteScalarAsync<string>("select payload::text from outbox where id = @id", new { id }) ?? "{}")!;
        Assert.Equal(existing.Id.ToString(), payload["person"]!["id"]!.GetValue<string>());
        await api.Sink.WaitForMailAsync(m => m.To.Contains(to), Timeout);

        var stranger = Recipient();
        var strangerId = await api.EnqueueAsync(Confirm(stranger, "https://shop.example/new"));
        var created = await api.Vault.FindByEmailAsync(stranger);
        Assert.NotNull(created);
        // A local run's own region is eu.
        Assert.Equal("eu", created.Region);
        var strangerPayload = JsonNode.Parse(await conn.ExecuteScalarAsync<string>("select payload::text from outbox where id = @strangerId", new { strangerId }) ?? "{}")!;
        Assert.Equal(created.Id.ToString(), strangerPayload["person"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_shredded_persons_queued_mail_is_dropped_not_sent_and_not_dead_lettered()
    {
        var to = Recipient();
        var person = await api.Vault.CreatePersonAsync("DE");
        long erasedId;
        await using (var conn = await api.Db.OpenConnectionAsync())
        {
            await using var tx = await conn.BeginTransactionAsync();
            await EmailQueue.EnqueueAsync(new WriteLog(conn, tx, Actor.System("test")) { Vault = api.Vault },
                new EmailRequest("confirm-email", to, "Greta", new JsonObject { ["name"] = "Greta", ["link"] = "https://shop.example/shredded" }, Person: person));
            erasedId = await conn.ExecuteScalarAsync<long>("select max(id) from outbox where txid = pg_current_xact_id()", transaction: tx);
            // Erased while the mail waits (before the consumer can see it).
            Assert.True(await api.Vault.ShredAsync(person));
            await tx.CommitAsync();
        }
        var later = Recipient();
        await api.EnqueueAsync(Confirm(later, "https://shop.example/after-shred"));

        await api.Sink.WaitForMailAsync(m => m.To.Contains(later), Timeout);
        Assert.DoesNotContain(api.Sink.Received(), m => m.To.Contains(to));
        await using var check = await api.Db.OpenConnectionAsync();
        Assert.False(await check.ExecuteScalarAsync<bool>("select exists (select 1 from outbox_failures where outbox_id = @erasedId)", new { erasedId }));
        Assert.False(await check.ExecuteScalarAsync<bool>("select exists (select 1 from email_deliveries where outbox_id = @erasedId)", new { erasedId }));
    }

    private static async Task<ReceivedMail> ParseEmlAsync(string file)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = Headless.Api.Platform.Hosting.RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("tests/tools/parse-eml.mjs");
        start.ArgumentList.Add(file);
        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var error = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(Timeout);
        Assert.True(node.ExitCode == 0, await error);
        return JsonSerializer.Deserialize<ReceivedMail>(await output, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
    }
}
