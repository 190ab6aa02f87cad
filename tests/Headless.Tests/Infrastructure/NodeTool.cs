using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Headless.Api.Platform.Hosting;

namespace Headless.Tests.Infrastructure;

/// <summary>
/// A test server written for node (tests/tools/*.mjs): started from the repository root, considered up
/// when it prints its first JSON line on stdout (which <see cref="Ready"/> holds), killed on dispose. The
/// scripts also exit by themselves when their stdin closes, so a crashed test run leaves nothing behind.
/// </summary>
public sealed class NodeTool : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr;

    private NodeTool(Process process, StringBuilder stderr, JsonElement ready)
    {
        _process = process;
        _stderr = stderr;
        Ready = ready;
    }

    public JsonElement Ready { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>What the tool printed on stderr so far, for failure messages.</summary>
    public string Errors
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static async Task<NodeTool> StartAsync(string script, params string[] args)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();

        JsonElement? ready = null;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            // The ready line is the first JSON object on stdout; skip anything else a library might print.
            while (ready is null && await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
            {
                if (line.StartsWith('{'))
                {
                    ready = JsonDocument.Parse(line).RootElement.Clone();
                }
            }
        }
        catch (OperationCanceledException)
        {
            ready = null;
        }
        var tool = new NodeTool(process, stderr, ready ?? default);
        if (ready is null)
        {
            var errors = tool.Errors;
            await tool.DisposeAsync();
            throw new InvalidOperationException($"{script} did not start (is node_modules installed? run `npm ci` at the repository root): {errors}");
        }
        return tool;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}
