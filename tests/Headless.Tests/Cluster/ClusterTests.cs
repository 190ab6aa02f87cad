using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dapper;
using Headless.Contracts.Accounts;
using Headless.Tests.Infrastructure;
using Npgsql;

namespace Headless.Tests.Cluster;

/// <summary>What running several instances must keep true, proved on the real topology (ClusterFixture).</summary>
[Collection(nameof(ClusterTests))]
public sealed partial class ClusterTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(1);

    private static HttpClient Client(string baseUrl, CookieContainer? cookies = null) =>
        new(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), UseCookies = true, AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(baseUrl + "/"),
        };

    private HttpClient Admin(string baseUrl)
    {
        var client = Client(baseUrl);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", cluster.AdminKey);
        return client;
    }

    /// <summary>A client address of its own per test, sent as HAProxy would forward it (the instances trust
    /// 127.0.0.1 as the proxy), so per-IP limits of one test never touch another's.</summary>
    private static string NewClientAddress() => $"198.51.{Random.Shared.Next(0, 255)}.{Random.Shared.Next(1, 255)}";

    [ClusterFact]
    public async Task The_login_limit_is_one_budget_across_the_instances_behind_haproxy()
    {
        using var viaHaproxy = Client(cluster.Topology.Balancer.Url);
        var address = NewClientAddress();
        var statuses = new List<HttpStatusCode>();
        var retryAfter = new List<string>();
        // Partitions are stored as a keyed hash of the address, so this test's windows are told apart by when they began.
        DateTime started;
        await using (var clock = await cluster.Db.OpenConnectionAsync())
        {
            started = await clock.ExecuteScalarAsync<DateTime>("select clock_timestamp()");
        }
        for (var i = 0; i < ClusterFixture.LoginPerMinute + 3; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/auth/login")
            {
                Content = JsonContent.Create(new LoginRequest($"nobody-{Guid.NewGuid():N}@example.test", "not the password", null, null, false), options: Http.Json),
            };
            request.Headers.Add("X-Forwarded-For", address);
            var response = await viaHaproxy.SendAsync(request);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                retryAfter.Add(response.Headers.RetryAfter!.ToString());
            }
        }
        // Round robin spread the attempts over three instances; per-process limits would have allowed them all.
        await using var conn = await cluster.Db.OpenConnectionAsync();
        var windows = (await conn.QueryAsync<int>(
            "select hits from rate_limit_windows where limit_name = 'login' and window_start >= @started", new { started })).ToList();
        Assert.Equal(statuses.Count, windows.Sum());
        if (windows.Count == 1)
        {
            Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, ClusterFixture.LoginPerMinute),
                .. Enumerable.Repeat(HttpStatusCode.TooManyRequests, 3)], statuses);
            // HAProxy passes the API's Retry-After through.
            Assert.All(retryAfter, r => Assert.Equal("60", r));
        }
    }

    [ClusterFact]
    public async Task A_product_edited_on_one_instance_is_read_fresh_on_the_others_within_a_second()
    {
        var web = cluster.Topology.Web;
        using var adminA = Admin(web[0].Url);
        var page = await (await adminA.GetAsync("api/v1/admin/products?limit=1")).ReadAsync<JsonObject>();
        var product = page["items"]!.AsArray()[0]!;
        var id = (string)product["id"]!;
        var slug = (string)product["slug"]!;
        var readers = web.Skip(1).Select(w => Client(w.Url)).ToList();
        foreach (var reader in readers)
        {
            // Warm each instance's cache first: the point is that the cached copy is dropped.
            Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync($"api/v1/products/{slug}")).StatusCode);
        }

        var title = "Cluster fresh " + Guid.NewGuid().ToString("N")[..8];
        var edited = await adminA.SendJsonAsync(HttpMethod.Patch, $"api/v1/admin/products/{id}", new { title },
            await adminA.ETagOfAsync($"api/v1/admin/products/{id}"));
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        var clock = Stopwatch.StartNew();

        foreach (var reader in readers)
        {
            while (true)
            {
                var read = await (await reader.GetAsync($"api/v1/products/{slug}")).ReadAsync<JsonObject>();
                if ((string?)read["title"] == title)
                {
                    break;
                }
                Assert.True(clock.Elapsed < Fresh, $"{reader.BaseAddress} still served the old title {clock.ElapsedMilliseconds} ms after the edit.");
                await Task.Delay(20);
            }
        }
        readers.ForEach(r => r.Dispose());
    }

    [ClusterFact]
    public async Task A_session_and_its_csrf_token_work_on_whichever_instance_answers()
    {
        var web = cluster.Topology.Web;
        var email = $"cluster-{Guid.NewGuid():N}@example.test";
        var password = "correct horse battery";
        var address = NewClientAddress();
        var cookies = new CookieContainer();
        using var a = Client(web[0].Url, cookies);
        using var b = Client(web[1].Url, cookies);
        using var c = Client(web[2].Url, cookies);
        foreach (var client in new[] { a, b, c })
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        }

        // Registered on A, confirmed on B with the link the worker mailed (tokens are protected by the shared key ring).
        Assert.Equal(HttpStatusCode.Accepted, (await a.PostAsJsonAsync("api/v1/auth/register", new RegisterRequest(email, password, "Ada", "Lovelace", false), Http.Json)).StatusCode);
        var mail = await cluster.Smtp.WaitForMailAsync(m => m.To.Contains(email, StringComparer.OrdinalIgnoreCase), TimeSpan.FromSeconds(20));
        var link = ConfirmLink().Match(mail.Text);
        Assert.True(link.Success, mail.Text);
        var confirm = new ConfirmEmailRequest(Guid.Parse(link.Groups["user"].Value), Uri.UnescapeDataString(link.Groups["code"].Value));
        Assert.Equal(HttpStatusCode.OK, (await b.PostAsJsonAsync("api/v1/auth/confirm-email", confirm, Http.Json)).StatusCode);

        // Cookie session from A; CSRF token from B; the write on C, then read back on A.
        Assert.Equal(HttpStatusCode.OK, (await a.PostAsJsonAsync("api/v1/auth/login", new LoginRequest(email, password, null, null, true), Http.Json)).StatusCode);
        var csrf = await (await b.GetAsync("api/v1/auth/csrf")).ReadAsync<CsrfToken>();
        var write = new HttpRequestMessage(HttpMethod.Patch, "api/v1/account") { Content = JsonContent.Create(new UpdateProfileRequest("Grace", "Hopper"), options: Http.Json) };
        write.Headers.Add(csrf.HeaderName, csrf.Token);
        var written = await c.SendAsync(write);
        Assert.True(written.IsSuccessStatusCode, $"{written.StatusCode}: {await written.Content.ReadAsStringAsync()}");
        var me = await (await a.GetAsync("api/v1/account")).ReadAsync<JsonObject>();
        Assert.Equal("Grace", (string?)me["firstName"]);

        // Without the token the same write is refused on any instance: the check is real, not skipped.
        var forged = new HttpRequestMessage(HttpMethod.Patch, "api/v1/account") { Content = JsonContent.Create(new UpdateProfileRequest("Eve", null), options: Http.Json) };
        Assert.False((await b.SendAsync(forged)).IsSuccessStatusCode);
    }

    [ClusterFact]
    public async Task The_standby_replays_what_the_primary_commits()
    {
        var marker = Guid.NewGuid();
        await using (var conn = await cluster.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("create table if not exists cluster_probe (id uuid primary key, at timestamptz not null default now())");
            await conn.ExecuteAsync("insert into cluster_probe (id) values (@marker)", new { marker });
        }
        await using var standby = new NpgsqlConnection(cluster.Topology.StandbyConnectionString);
        await standby.OpenAsync();
        Assert.True(await standby.ExecuteScalarAsync<bool>("select pg_is_in_recovery()"));
        var clock = Stopwatch.StartNew();
        await Email.Eventually.WaitUntilAsync(() => standby.ExecuteScalarAsync<bool>(
            "select to_regclass('cluster_probe') is not null and exists (select 1 from cluster_probe where id = @marker)", new { marker }),
            TimeSpan.FromSeconds(5), "the standby replays the row");
        Assert.True(clock.Elapsed < Fresh, $"replica lag {clock.ElapsedMilliseconds} ms");
        var lag = await cluster.Topology.ReplicaLagBytesAsync();
        Assert.InRange(lag, 0, 16 * 1024 * 1024);
    }

    [ClusterFact]
    public async Task Outbox_consumers_move_to_a_second_worker_when_the_first_is_killed_and_send_each_mail_once()
    {
        using var viaHaproxy = Client(cluster.Topology.Balancer.Url);
        var address = NewClientAddress();
        viaHaproxy.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        var second = cluster.Topology.Workers.Count < 2 ? await cluster.Topology.StartWorkerAsync() : cluster.Topology.Workers[1];

        async Task<List<string>> RegisterAsync(int count)
        {
            var emails = Enumerable.Range(0, count).Select(_ => $"outbox-{Guid.NewGuid():N}@example.test").ToList();
            foreach (var email in emails)
            {
                Assert.Equal(HttpStatusCode.Accepted, (await viaHaproxy.PostAsJsonAsync("api/v1/auth/register",
                    new RegisterRequest(email, "correct horse battery", null, null, false), Http.Json)).StatusCode);
            }
            return emails;
        }

        var before = await RegisterAsync(5);
        // SIGKILL while the first batch may still be on its way: whatever it had claimed passes to the second worker.
        cluster.Topology.Workers[0].Kill();
        var after = await RegisterAsync(5);
        Assert.False(second.HasExited);

        foreach (var email in before.Concat(after))
        {
            await cluster.Smtp.WaitForMailAsync(m => m.To.Contains(email, StringComparer.OrdinalIgnoreCase), TimeSpan.FromSeconds(30));
        }
        var received = cluster.Smtp.Received();
        foreach (var email in before.Concat(after))
        {
            // One mail per registration, told apart by the Message-ID each outbox event gives its mail. A SIGKILL between
            // the relay's 250 and the delivery record can make the next worker send that same message again (SMTP has no
            // exactly-once); it carries the same Message-ID, so receivers drop it. A second, different message fails here.
            Assert.Single(received.Where(m => m.To.Contains(email, StringComparer.OrdinalIgnoreCase)).Select(m => m.MessageId).Distinct());
        }
    }

    [GeneratedRegex(@"confirm-email\?userId=(?<user>[0-9a-fA-F-]{36})&code=(?<code>[^\s""&<]+)")]
    private static partial Regex ConfirmLink();
}
