using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Features.Email;
using Headless.Api.Platform.Vaults;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Email;

/// <summary>The API of one region, as production runs it (Headless:Residency:Region = eu, serving only the eu vault).</summary>
public sealed class EuOnlyEmailHost : EmailHostFactory
{
    public EuOnlyEmailHost() => Settings["Headless:Residency:Region"] = Residency.Eu;
}

/// <summary>A queued mail whose person lives in a region this API does not serve is that region's API's to send: the
/// consumer skips it (counted, logged without personal data) instead of retrying it into a dead letter.</summary>
public sealed class OtherRegionMailTests(EuOnlyEmailHost api) : IClassFixture<EuOnlyEmailHost>
{
    [Fact]
    public async Task An_eu_API_skips_a_us_persons_mail_without_retrying_or_dead_lettering_it_and_leaves_it_for_the_us_API()
    {
        var regions = api.Services.GetRequiredService<VaultRegions>();
        Assert.False(regions.Residency.Serves(Residency.Us));
        var consumer = api.EmailConsumer;
        var before = consumer.SkippedOtherRegion;

        // What the US API queued: the mail is a field of the US person in the US vault (written here as that API would).
        var usApi = new PersonalDataVault(new VaultRegions(regions.Residency with { Region = Residency.Us }, Residency.AllRegions.ToDictionary(r => r, r => regions[r])),
            new DataKeyCache());
        var person = await usApi.CreatePersonAsync("US");
        var field = EmailQueue.MailField(Guid.CreateVersion7());
        await usApi.PutAsync(person, new Dictionary<string, string?>
        {
            [field] = new JsonObject { ["to"] = "sam@example.test", ["toName"] = "Sam", ["model"] = new JsonObject { ["name"] = "Sam", ["link"] = "https://shop.test/x" } }.ToJsonString(),
        });
        await using var conn = await api.Db.OpenConnectionAsync();
        var outboxId = await conn.ExecuteScalarAsync<long>("""
            insert into outbox (topic, aggregate_type, aggregate_id, payload) values ('email.requested', 'email', 'anonymous', @payload::jsonb) returning id
            """, new
        {
            payload = new JsonObject
            {
                ["template"] = "confirm-email",
                ["person"] = new JsonObject { ["id"] = person.Id, ["region"] = person.Region },
                ["mail"] = field,
            }.ToJsonString(),
        });

        await Eventually.WaitUntilAsync(() => consumer.SkippedOtherRegion > before, TimeSpan.FromSeconds(20), "the us person's mail was skipped");
        // Passed at once: no retries held the consumer, no dead letter, not recorded as sent, and the mail is still in the
        // US vault for the US API to send.
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("select count(*) from outbox_failures where outbox_id = @outboxId", new { outboxId }));
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("select count(*) from email_deliveries where outbox_id = @outboxId", new { outboxId }));
        Assert.NotNull((await usApi.GetAsync(person))?.GetValueOrDefault(field));
    }
}
