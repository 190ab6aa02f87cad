using Dapper;
using Headless.Api.Features.Email;
using Headless.Api.Platform.Outbox;
using Headless.Api.Platform.Vaults;
using Headless.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Headless.Tests.Email;

/// <summary>The API on its own database with extra settings (applied after ApiFactory's) and outbox
/// timings made for tests: 200 ms poll, retries from 100 ms up to 500 ms.</summary>
public class EmailHostFactory : ApiFactory
{
    public Dictionary<string, string?> Settings { get; } = new()
    {
        ["Headless:Email:ShopName"] = "Test Shop",
        ["Headless:Outbox:Consumers:email:PollInterval"] = "00:00:00.200",
        ["Headless:Outbox:Consumers:email:RetryBaseDelay"] = "00:00:00.100",
        ["Headless:Outbox:Consumers:email:RetryMaxDelay"] = "00:00:00.500",
        ["Headless:Outbox:Consumers:email:MaxAttempts"] = "60",
        ["Headless:Email:Smtp:Timeout"] = "00:00:05",
    };

    /// <summary>Sends through a real SMTP server at 127.0.0.1:<paramref name="port"/>.</summary>
    public EmailHostFactory UseSmtp(int port)
    {
        Settings["Headless:Email:Smtp:Host"] = "127.0.0.1";
        Settings["Headless:Email:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public EmailConsumer EmailConsumer => Services.GetRequiredService<EmailConsumer>();

    public PersonalDataVault Vault => Services.GetRequiredService<PersonalDataVault>();

    /// <summary>Queues an email in a transaction the way a feature does; returns its outbox id.</summary>
    public async Task<long> EnqueueAsync(EmailRequest email, bool commit = true)
    {
        _ = Services; // the host, and with it the email sender, runs from here on
        await using var conn = await Db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await EmailQueue.EnqueueAsync(new WriteLog(conn, tx, Actor.System("test")) { Vault = Vault }, email);
        var id = await conn.ExecuteScalarAsync<long>(
            "select id from outbox where topic = 'email.requested' and txid = pg_current_xact_id() order by id desc limit 1", transaction: tx);
        if (commit)
        {
            await tx.CommitAsync();
        }
        else
        {
            await tx.RollbackAsync();
        }
        return id;
    }
}

/// <summary>The API with its email sender pointed at a running SMTP sink: one per test class.</summary>
public sealed class EmailApiFactory : EmailHostFactory, IAsyncLifetime
{
    public SmtpSink Sink { get; private set; } = null!;

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Sink = await SmtpSink.StartAsync();
        UseSmtp(Sink.Port);
        _ = Services;
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Sink.DisposeAsync();
    }
}

public static class Eventually
{
    /// <summary>Polls a condition until it holds; fails the test at the deadline.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds:0.#} s waiting until {what}.");
            }
            await Task.Delay(20);
        }
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > timeout)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds:0.#} s waiting until {what}.");
            }
            await Task.Delay(20);
        }
    }

    public static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
