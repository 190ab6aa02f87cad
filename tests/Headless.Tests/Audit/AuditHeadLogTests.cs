using System.Threading.Channels;
using Headless.Api.Platform.Audit;
using Headless.Api.Platform.Outbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Headless.Tests.Audit;

/// <summary>The chain head goes to the log at start and again every interval (the clock is a fake one that
/// the test moves forward, so nothing sleeps).</summary>
public sealed class AuditHeadLogTests
{
    [Fact]
    public async Task The_head_is_logged_at_start_and_after_each_interval()
    {
        await using var db = await AuditLogs.ChainAsync(2);
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-04T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var logger = new LinesLogger();
        var options = Options.Create(new AuditOptions { HeadLogInterval = TimeSpan.FromHours(24) });
        using var service = new AuditHeadLog(db, options, clock, logger);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        await service.StartAsync(timeout.Token);
        var first = await logger.Lines.Reader.ReadAsync(timeout.Token);
        Assert.Contains("seq 2", first, StringComparison.Ordinal);
        Assert.Contains((await AuditLogs.VerifyAsync(db)).HeadHash, first, StringComparison.Ordinal);

        await using (var conn = await db.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            await new WriteLog(conn, tx, Actor.System("test")).AuditAsync("test.written", "thing", "3", null, null);
            await tx.CommitAsync();
        }
        clock.Advance(TimeSpan.FromHours(23));
        Assert.False(logger.Lines.Reader.TryRead(out _));
        clock.Advance(TimeSpan.FromHours(1));
        var second = await logger.Lines.Reader.ReadAsync(timeout.Token);
        Assert.Contains("seq 3", second, StringComparison.Ordinal);
        await service.StopAsync(CancellationToken.None);
    }

    private sealed class LinesLogger : ILogger<AuditHeadLog>
    {
        public Channel<string> Lines { get; } = Channel.CreateUnbounded<string>();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Writer.TryWrite(formatter(state, exception));
    }
}
