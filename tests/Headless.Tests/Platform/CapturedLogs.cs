using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Headless.Tests.Platform;

/// <summary>Every log line a host writes, as it would reach the console: the formatted message, its
/// structured values and the exception text.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public ConcurrentQueue<(string Category, LogLevel Level, string Text)> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public bool Any(Func<string, bool> match) => Lines.Any(l => match(l.Text));

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : "";
            owner.Lines.Enqueue((category, logLevel, $"{formatter(state, exception)} {values} {exception}"));
        }
    }
}
