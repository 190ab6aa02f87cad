using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Dapper;
using Headless.Cluster;
using Headless.Contracts.Accounts;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Cluster;

/// <summary>
/// Two live worker processes on the real topology share the outbox consumers' work: each round of a
/// consumer is claimed by whichever worker gets its advisory lock first, so under a stream of events both
/// send some mail, no event is sent by both, and when one dies the other carries on alone. Which worker
/// sent which event is read from each worker's own log ("Email … for outbox event N sent").
/// Same collection as <see cref="ClusterTests"/>: one topology on the fixture's ports at a time.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed partial class OutboxWorkSharingTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    [ClusterFact]
    public async Task Two_workers_split_the_email_work_never_send_an_event_twice_and_the_survivor_takes_over()
    {
        var topology = cluster.Topology;
        var first = topology.Workers[0];
        var second = topology.Workers.Count < 2 ? await topology.StartWorkerAsync() : topology.Workers[1];
        using var http = new HttpClient { BaseAddress = new Uri(topology.Balancer.Url + "/") };
        http.DefaultRequestHeaders.Add("X-Forwarded-For", $"203.0.{Random.Shared.Next(0, 255)}.{Random.Shared.Next(1, 255)}");
        var registered = new List<string>();

        async Task RegisterAsync()
        {
            var email = $"share-{Guid.NewGuid():N}@example.test";
            Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsJsonAsync("api/v1/auth/register",
                new RegisterRequest(email, "correct horse battery", null, null, false), Http.Json)).StatusCode);
            registered.Add(email);
        }

        // One registration at a time, each mailed before the next: every NOTIFY wakes both workers and
        // either may win the round. Until both have sent some (a worker that never wins would fail here).
        await Eventually.WaitUntilAsync(async () =>
        {
            await RegisterAsync();
            await cluster.Smtp.WaitForMailAsync(m => m.To.Contains(registered[^1], StringComparer.OrdinalIgnoreCase), TimeSpan.FromSeconds(30));
            return SentBy(first).Count > 0 && SentBy(second).Count > 0;
        }, TimeSpan.FromSeconds(120), "both workers have sent mail");

        // The survivor takes over: events after the kill are all sent, by the second worker. The kill waits
        // until every send so far is recorded: a SIGKILL between the SMTP server's 250 and the delivery row
        // sends that mail again (same Message-ID; delivery is at-least-once), which is not what this proves.
        await Eventually.WaitUntilAsync(async () =>
        {
            await using var db = await cluster.Db.OpenConnectionAsync();
            return await db.ExecuteScalarAsync<bool>("""
                select not exists (select 1 from outbox o where o.topic = 'email.requested'
                                   and not exists (select 1 from email_deliveries d where d.outbox_id = o.id))
                """);
        }, TimeSpan.FromSeconds(30), "every mail asked for so far is recorded as sent");
        first.Kill();
        var bySecond = SentBy(second).Count;
        var beforeKill = registered.Count;
        for (var i = 0; i < 5; i++)
        {
            await RegisterAsync();
        }
        foreach (var email in registered.Skip(beforeKill))
        {
            await cluster.Smtp.WaitForMailAsync(m => m.To.Contains(email, StringComparer.OrdinalIgnoreCase), TimeSpan.FromSeconds(30));
        }
        // The console logger writes from a queue: its lines can trail the mail by a moment.
        await Eventually.WaitUntilAsync(() => SentBy(second).Count >= bySecond + 5, TimeSpan.FromSeconds(10),
            "the surviving worker's log shows the five mails asked for after the kill");

        // No event sent by both workers, no mail twice, and every send a worker logged has its delivery row
        // (the killed worker may have lost its last log lines with the process, so not the other way round).
        var byFirst = SentBy(first);
        var bySurvivor = SentBy(second);
        Assert.Empty(byFirst.Intersect(bySurvivor));
        var received = cluster.Smtp.Received();
        foreach (var email in registered)
        {
            Assert.Single(received, m => m.To.Contains(email, StringComparer.OrdinalIgnoreCase));
        }
        await using var conn = await cluster.Db.OpenConnectionAsync();
        var logged = byFirst.Concat(bySurvivor).ToArray();
        var delivered = (await conn.QueryAsync<long>("select outbox_id from email_deliveries where outbox_id = any(@logged)", new { logged })).ToHashSet();
        Assert.Subset(delivered, logged.ToHashSet());
    }

    /// <summary>The outbox ids this worker's log says it mailed.</summary>
    private static HashSet<long> SentBy(ApiInstance worker)
    {
        if (!File.Exists(worker.LogFile))
        {
            return [];
        }
        using var stream = new FileStream(worker.LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return [.. SentLine().Matches(reader.ReadToEnd()).Select(m => long.Parse(m.Groups["id"].Value, System.Globalization.CultureInfo.InvariantCulture))];
    }

    [GeneratedRegex(@"for outbox event (?<id>\d+) sent")]
    private static partial Regex SentLine();
}
