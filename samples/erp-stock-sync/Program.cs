namespace Headless.Samples.ErpStockSync;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        return await SyncCommand.RunAsync(args, Environment.GetEnvironmentVariable, Console.Out, stop.Token);
    }
}
