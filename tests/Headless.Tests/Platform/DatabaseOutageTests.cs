using System.Collections.Concurrent;
using System.Net;
using Headless.Api.Features.Email;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Hosting;
using Headless.Api.Platform.Outbox;
using Headless.Tests.Email;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Headless.Tests.Platform;

/// <summary>
/// PostgreSQL stopped and started again under requests. The shared test cluster cannot be stopped (other
/// classes use it), so this class runs its own private cluster on a port of its own.
/// </summary>
public sealed class DatabaseOutageTests : IAsyncLifetime
{
    private static readonly int Port = int.Parse(Environment.GetEnvironmentVariable("HEADLESS_TEST_PG_PORT") ?? "54339",
        System.Globalization.CultureInfo.InvariantCulture) + 1000;
    private static readonly string Directory = Path.Combine(RepoPaths.Data, $"test-pg-outage-{Port}");
    private LocalPostgres _pg = null!;
    private WebApplicationFactory<Program> _api = null!;

    public async Task InitializeAsync()
    {
        _pg = await LocalPostgres.StartAsync(Directory, Port, null, TextWriter.Null);
        var database = $"outage_{Guid.NewGuid():N}"[..20];
        var logins = await LocalLogins.EnsureAsync(_pg.ConnectionString("postgres"), Directory, database);
        _api = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Headless:Database:ConnectionString", logins.App);
            b.UseSetting("Headless:Database:MigrationConnectionString", logins.Owner);
            b.UseSetting("Headless:Catalog:LoadDemoCatalog", "false");
        });
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _pg.StopAsync();
    }

    [Fact]
    public async Task A_stopped_database_answers_503_with_retry_after_never_500_and_the_api_recovers_after_restart()
    {
        var client = _api.CreateClient();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/v1/carts", null)).StatusCode);

        // Requests keep coming while the server stops (fast shutdown: sessions get 57P01) and is down.
        var statuses = new ConcurrentBag<HttpStatusCode>();
        var problems = new ConcurrentBag<HttpResponseMessage>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var response = await client.PostAsync("/api/v1/carts", null);
                statuses.Add(response.StatusCode);
                if (response.StatusCode != HttpStatusCode.Created)
                {
                    problems.Add(response);
                }
                await Task.Delay(5); // load, not a busy loop on a shared machine
            }
        })).ToArray();
        await _pg.StopAsync();
        // Down: every request now is a 503 (the load above and these).
        for (var i = 0; i < 5; i++)
        {
            var down = await client.PostAsync("/api/v1/carts", null);
            var problem = await down.ProblemAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("https://headless.dev/problems/database-unavailable", problem["type"]!.GetValue<string>());
            Assert.Contains("retry", problem["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
            Assert.True(down.Headers.RetryAfter?.Delta is { } delay && delay > TimeSpan.Zero && delay <= TimeSpan.FromSeconds(30),
                "503 without a Retry-After of a few seconds");
        }
        _pg = await LocalPostgres.StartAsync(Directory, Port, null, TextWriter.Null);

        // Up again: connections the pool still holds from before the restart are found broken one by one
        // (each of those requests a 503 too); then requests succeed without a restart of the API.
        HttpStatusCode status = 0;
        for (var attempt = 0; attempt < 200 && status != HttpStatusCode.Created; attempt++)
        {
            var response = await client.PostAsync("/api/v1/carts", null);
            status = response.StatusCode;
            statuses.Add(status);
            if (status != HttpStatusCode.Created)
            {
                problems.Add(response);
            }
        }
        await stop.CancelAsync();
        await Task.WhenAll(load);

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.DoesNotContain(HttpStatusCode.InternalServerError, statuses);
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.Created or HttpStatusCode.ServiceUnavailable, $"unexpected {(int)s}"));
        foreach (var response in problems)
        {
            await response.ProblemAsync(HttpStatusCode.ServiceUnavailable);
            Assert.NotNull(response.Headers.RetryAfter);
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task After_a_restart_every_request_succeeds_once_the_server_is_ready_whatever_the_pool_held_before()
    {
        var client = _api.CreateClient();
        // Fill the pool: concurrent requests each hold a connection, which then sit idle in the pool.
        var warm = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => client.PostAsync("/api/v1/carts", null)));
        Assert.All(warm, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));

        // Nothing uses the pool while the server restarts: every idle connection in it died with the old server.
        await _pg.StopAsync();
        _pg = await LocalPostgres.StartAsync(Directory, Port, null, TextWriter.Null);

        // The server is back and ready: no request may meet a connection from before the restart, the first
        // included, one at a time and then as a burst as wide as the pool was.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            statuses.Add((await client.PostAsync("/api/v1/carts", null)).StatusCode);
        }
        statuses.AddRange((await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => client.PostAsync("/api/v1/carts", null)))).Select(r => r.StatusCode));
        Assert.True(statuses.All(s => s == HttpStatusCode.Created), $"after a restart: {string.Join(", ", statuses.Select(s => (int)s))}");
    }

    [Fact]
    public async Task A_watched_pool_is_emptied_when_its_server_restarts_so_no_query_after_it_meets_a_dead_connection()
    {
        // Two pools on the same server, neither with a LISTEN connection of its own (a vault's pool); one watched.
        var cs = _pg.ConnectionString("postgres");
        await using var watched = NpgsqlDataSource.Create(cs);
        await using var unwatched = NpgsqlDataSource.Create(cs);
        await FillAsync(watched);
        await FillAsync(unwatched);
        await using var watch = new PoolWatch(watched);
        watch.EnsureStarted();
        await Eventually.WaitUntilAsync(() => watch.Connected, TimeSpan.FromSeconds(30), "the watch connects");

        await _pg.StopAsync();
        _pg = await LocalPostgres.StartAsync(Directory, Port, null, TextWriter.Null);
        await Eventually.WaitUntilAsync(() => watch.Clears >= 1 && watch.Connected, TimeSpan.FromSeconds(30), "the watch saw the restart and reconnected");

        // The unwatched pool still hands out connections that died with the old server: its first query fails.
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => QueryAsync(unwatched));
        // The watched one was emptied when the server went: every query succeeds, one at a time and then a burst.
        for (var i = 0; i < 8; i++)
        {
            await QueryAsync(watched);
        }
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => QueryAsync(watched)));
    }

    /// <summary>Eight connections open at once, then back in the pool, idle.</summary>
    private static async Task FillAsync(NpgsqlDataSource source)
    {
        var connections = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            var conn = await source.OpenConnectionAsync();
            await using var cmd = new NpgsqlCommand("select 1", conn);
            await cmd.ExecuteScalarAsync();
            return conn;
        }));
        foreach (var conn in connections)
        {
            await conn.DisposeAsync();
        }
    }

    private static async Task QueryAsync(NpgsqlDataSource source)
    {
        await using var conn = await source.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand("select 1", conn);
        Assert.Equal(1, await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task An_email_sent_while_the_database_goes_down_is_sent_once()
    {
        // The SMTP server stops PostgreSQL before it acknowledges the first message: the consumer's record of
        // the send (email_deliveries) meets a database that is down, and must not give the event back to be sent again.
        await using var smtp = new HoldingSmtpServer(async () =>
        {
            await _pg.StopAsync();
        });
        smtp.AfterFirstSession = async () => _pg = await LocalPostgres.StartAsync(Directory, Port, null, TextWriter.Null);
        await using var api = _api.WithWebHostBuilder(b =>
        {
            b.UseSetting("Headless:Email:Smtp:Host", "127.0.0.1");
            b.UseSetting("Headless:Email:Smtp:Port", smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            b.UseSetting("Headless:Outbox:Consumers:email:PollInterval", "00:00:00.200");
            b.UseSetting("Headless:Outbox:Consumers:email:RetryBaseDelay", "00:00:00.100");
            b.UseSetting("Headless:Outbox:Consumers:email:RetryMaxDelay", "00:00:00.500");
            b.UseSetting("Headless:Outbox:Consumers:email:MaxAttempts", "60");
        });
        var db = api.Services.GetRequiredService<NpgsqlDataSource>();
        await using (var conn = await db.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            await EmailQueue.EnqueueAsync(new WriteLog(conn, tx, Actor.System("test")) { Vault = api.Services.GetRequiredService<Headless.Api.Platform.Vaults.PersonalDataVault>() },
                new EmailRequest("password-changed", "once@example.com", null, []));
            await tx.CommitAsync();
        }

        await Eventually.WaitUntilAsync(async () =>
        {
            try
            {
                await using var conn = await db.OpenConnectionAsync();
                await using var cmd = new NpgsqlCommand("select count(*) from email_deliveries", conn);
                return (long)(await cmd.ExecuteScalarAsync())! == 1;
            }
            catch (NpgsqlException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), "the email's delivery is recorded");
        // A second send would come within the consumer's retry delays (100–500 ms): wait for its next rounds.
        var consumer = api.Services.GetRequiredService<EmailConsumer>();
        var rounds = consumer.Rounds;
        await Eventually.WaitUntilAsync(() => consumer.Rounds >= rounds + 3, TimeSpan.FromSeconds(30), "the consumer ran three more rounds");
        Assert.Single(smtp.MessageIds);
    }

    /// <summary>
    /// Just enough of an SMTP server for System.Net.Mail: runs <c>beforeFirstAck</c> after the first message's
    /// data has arrived and before its 250, and <see cref="AfterFirstSession"/> once that session has ended.
    /// </summary>
    private sealed class HoldingSmtpServer : IAsyncDisposable
    {
        private readonly System.Net.Sockets.TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Func<Task> _beforeFirstAck;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;
        private int _sessions;

        public HoldingSmtpServer(Func<Task> beforeFirstAck)
        {
            _beforeFirstAck = beforeFirstAck;
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public Func<Task>? AfterFirstSession { get; set; }

        public ConcurrentQueue<string> MessageIds { get; } = new();

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                System.Net.Sockets.TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                var first = Interlocked.Increment(ref _sessions) == 1;
                await SessionAsync(client, first);
                if (first && AfterFirstSession is { } after)
                {
                    await after();
                }
            }
        }

        private async Task SessionAsync(System.Net.Sockets.TcpClient client, bool first)
        {
            using var _ = client;
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, System.Text.Encoding.ASCII);
            await using var writer = new StreamWriter(stream, System.Text.Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 holding-smtp");
            while (await reader.ReadLineAsync() is { } line)
            {
                var verb = line.Split(' ')[0].ToUpperInvariant();
                switch (verb)
                {
                    case "DATA":
                        await writer.WriteLineAsync("354 end with <CRLF>.<CRLF>");
                        string? messageId = null;
                        while (await reader.ReadLineAsync() is { } data && data != ".")
                        {
                            if (data.StartsWith("Message-ID:", StringComparison.OrdinalIgnoreCase))
                            {
                                messageId = data["Message-ID:".Length..].Trim();
                            }
                        }
                        if (first && MessageIds.IsEmpty)
                        {
                            await _beforeFirstAck();
                        }
                        MessageIds.Enqueue(messageId ?? "(none)");
                        await writer.WriteLineAsync("250 queued");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 bye");
                        return;
                    default:
                        await writer.WriteLineAsync("250 ok");
                        break;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting;
            _stop.Dispose();
        }
    }
}
