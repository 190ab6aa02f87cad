using Npgsql;

namespace Headless.Api.Platform.Database;

/// <summary>
/// Empties a connection pool the moment its server goes away, so that after a restart no request meets a
/// connection that died with the old server.
/// <para>Npgsql does not test an idle pooled connection before handing it out: after a restart each one
/// fails on its first use (57P01 or a broken socket), and only that failure makes Npgsql clear the pool. A
/// pool that also serves a LISTEN connection (the core database: the catalog cache and outbox listeners) is
/// cleared by that connection as the shutdown happens; a pool without one (a vault) would instead fail the
/// first request after the restart, however long after it comes. The watch is that listening connection:
/// one idle connection waiting on the socket, which the server's shutdown message (or the socket's end)
/// breaks at once; the pool is then cleared (Npgsql does so itself for a shutdown; we do it for any loss)
/// and the watch reconnects with a growing pause. Nothing is added to a request's path.</para>
/// </summary>
public sealed class PoolWatch : IAsyncDisposable
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _source;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private volatile Task? _running;
    private long _clears;
    private volatile bool _connected;

    public PoolWatch(NpgsqlDataSource source) => _source = source;

    /// <summary>Times the pool was cleared because the watch lost its connection.</summary>
    public long Clears => Interlocked.Read(ref _clears);

    /// <summary>Whether the watch holds a live connection now.</summary>
    public bool Connected => _connected;

    /// <summary>Starts watching, once; later calls cost a field read. Lazy so that a process that never uses
    /// the pool (most test hosts, for a vault) holds no connection for it.</summary>
    public void EnsureStarted()
    {
        if (_running is not null)
        {
            return;
        }
        lock (_lock)
        {
            _running ??= Task.Run(() => RunAsync(_stop.Token));
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var delay = FirstDelay;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var conn = await _source.OpenConnectionAsync(stop);
                _connected = true;
                delay = FirstDelay;
                while (true)
                {
                    // Returns on a notification (none are asked for); throws when the connection breaks.
                    await conn.WaitAsync(stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or System.Net.Sockets.SocketException)
            {
                if (_connected)
                {
                    _connected = false;
                    _source.Clear();
                    Interlocked.Increment(ref _clears);
                }
            }
            try
            {
                await Task.Delay(delay, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, MaxDelay.TotalMilliseconds));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_running is { } running)
        {
            await running;
        }
        _stop.Dispose();
    }
}
