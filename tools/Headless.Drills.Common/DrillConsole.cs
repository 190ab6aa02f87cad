namespace Headless.Drills;

/// <summary>How a drill tool runs from the console: Ctrl-C cancels (the drill cleans up and exits 130), a
/// <see cref="DrillError"/> or one of the tool's own expected errors is printed without a stack trace (exit 1).</summary>
public static class DrillConsole
{
    /// <param name="expected">The tool's own errors that are messages for the operator, not bugs.</param>
    public static async Task<int> RunAsync(Func<CancellationToken, Task<int>> run, Func<Exception, bool>? expected = null)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        try
        {
            return await run(cancel.Token);
        }
        catch (Exception e) when (e is DrillError || expected?.Invoke(e) == true)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("Cancelled.");
            return 130;
        }
    }
}
