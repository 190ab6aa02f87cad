using System.Diagnostics;

namespace Headless.Bench;

/// <summary>Progress on the console, each line stamped with the time since the benchmark started.</summary>
internal static class Log
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();
    private static readonly Lock Gate = new();

    public static TimeSpan Elapsed => Clock.Elapsed;

    public static void Step(string message) => Write(message, null);

    public static void Info(string message) => Write("  " + message, null);

    public static void Warn(string message) => Write("WARNING: " + message, ConsoleColor.Yellow);

    public static void Error(string message) => Write("ERROR: " + message, ConsoleColor.Red);

    private static void Write(string message, ConsoleColor? color)
    {
        lock (Gate)
        {
            var stamp = $"[{(int)Clock.Elapsed.TotalMinutes:00}:{Clock.Elapsed.Seconds:00}] ";
            if (color is { } c && !Console.IsOutputRedirected)
            {
                Console.ForegroundColor = c;
                Console.WriteLine(stamp + message);
                Console.ResetColor();
            }
            else
            {
                Console.WriteLine(stamp + message);
            }
        }
    }
}

/// <summary>The benchmark cannot give valid figures; the message says why and what to do.</summary>
internal sealed class BenchFailure(string message) : Exception(message);
