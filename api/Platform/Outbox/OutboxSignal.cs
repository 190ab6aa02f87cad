using Npgsql;

namespace Headless.Api.Platform.Outbox;

/// <summary>
/// One LISTEN outbox connection for the whole process, for readers that follow the outbox live on behalf
/// of a client (the admin's live feed: one open stream per browser tab must not cost a connection each).
/// A reader takes <see cref="Next"/> before it reads, then awaits it: a commit between the read and the
/// wait still wakes it. A lost connection is reopened; readers also re-read on their own heartbeat, so a
/// notification missed meanwhile only delays them.
/// </summary>
public sealed class OutboxSignal(NpgsqlDataSource db, ILogger<OutboxSignal> log) : BackgroundService
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next outbox notification.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    private void Fire() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = await db.OpenConnectionAsync(stoppingToken);
                conn.Notification += (_, _) => Fire();
                await using (var listen = new NpgsqlCommand("listen outbox", conn))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                Fire();
                delay = TimeSpan.FromMilliseconds(200);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await conn.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or System.IO.IOException)
            {
                log.LogWarning("The outbox signal lost its LISTEN connection ({Error}); reconnecting in {DelayMs} ms", OutboxErrors.Describe(ex), (int)delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }
}
