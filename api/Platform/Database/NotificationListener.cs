using Npgsql;

namespace Headless.Api.Platform.Database;

/// <summary>
/// Holds one LISTEN connection on a channel for as long as the host runs. Every notification goes to
/// <c>onNotification</c> (its payload). <c>onListening</c> runs each time the subscription is made again,
/// because whatever was committed while nobody listened was never announced. Any failure (a lost connection,
/// a restarted server) goes to <c>onLost</c> with the delay before the next try: 200 ms, doubling to 5 s, back
/// to 200 ms once listening again. Only the host's stop ends it.
/// </summary>
public static class NotificationListener
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(200);

    public static async Task RunAsync(NpgsqlDataSource db, string channel, Action<string> onNotification, Action onListening,
        Action<Exception, TimeSpan> onLost, CancellationToken stop)
    {
        var delay = FirstDelay;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var conn = await db.OpenConnectionAsync(stop);
                conn.Notification += (_, e) => onNotification(e.Payload);
                try
                {
                    await using (var listen = new NpgsqlCommand($"listen {channel}", conn))
                    {
                        await listen.ExecuteNonQueryAsync(stop);
                    }
                    onListening();
                    delay = FirstDelay;
                    while (!stop.IsCancellationRequested)
                    {
                        await conn.WaitAsync(stop);
                    }
                }
                finally
                {
                    await UnlistenAsync(conn);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                onLost(ex, delay);
                try
                {
                    await Task.Delay(delay, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    // The pool does not reset connections (Database.CreateDataSource: NoResetOnClose), so one that listened
    // must stop before it goes back, or an idle pooled connection would keep receiving every notification.
    private static async Task UnlistenAsync(NpgsqlConnection conn)
    {
        if (conn.State != System.Data.ConnectionState.Open)
        {
            return;
        }
        try
        {
            await using var unlisten = new NpgsqlCommand("unlisten *", conn) { CommandTimeout = 5 };
            await unlisten.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // Broken: a broken connection is not returned to the pool anyway.
        }
    }
}
