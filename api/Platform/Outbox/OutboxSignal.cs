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

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Database.NotificationListener.RunAsync(db, "outbox",
        onNotification: _ => Fire(),
        onListening: Fire,
        onLost: (ex, delay) => log.LogWarning("The outbox signal lost its LISTEN connection ({Error}); reconnecting in {DelayMs} ms",
            OutboxErrors.Describe(ex), (int)delay.TotalMilliseconds),
        stoppingToken);
}
