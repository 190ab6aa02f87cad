using System.Diagnostics;
using System.Text.Json;
using Headless.Api.Platform.Hosting;

namespace Headless.Drill;

/// <summary>
/// The tests' SMTP sink (<c>node tests/tools/smtp-sink.mjs</c>) on a fixed port, appending every message to
/// one file; stopped and started again on the same port and file for the "SMTP unreachable" fault.
/// </summary>
public sealed class SmtpSinkProcess(int port, string file) : IAsyncDisposable
{
    private Process? _node;

    public int Port => port;

    public bool Running => _node is { HasExited: false };

    public async Task StartAsync(CancellationToken ct)
    {
        var script = Path.Combine(RepoPaths.Root, "tests", "tools", "smtp-sink.mjs");
        if (!Directory.Exists(Path.Combine(RepoPaths.Root, "node_modules", "smtp-server")))
        {
            throw new DrillError("The SMTP sink needs the npm packages: run `npm ci` (or `./build.sh ensure-npm`) first.");
        }
        var psi = new ProcessStartInfo("node", [script, port.ToString(System.Globalization.CultureInfo.InvariantCulture), file])
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _node = Process.Start(psi)!;
        // It prints {"port":N} once it listens.
        var ready = await _node.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), ct);
        if (ready is null)
        {
            throw new DrillError($"The SMTP sink did not start: {await _node.StandardError.ReadToEndAsync(ct)}");
        }
    }

    /// <summary>Kills it: connections are refused until it is started again.</summary>
    public async Task StopAsync()
    {
        if (_node is { HasExited: false } node)
        {
            node.Kill();
            await node.WaitForExitAsync();
        }
        _node?.Dispose();
        _node = null;
    }

    /// <summary>The Message-ID of every message received, one entry per message (duplicates kept).</summary>
    public IReadOnlyList<string> MessageIds()
    {
        if (!File.Exists(file))
        {
            return [];
        }
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var ids = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && line[^1] == '}')
            {
                using var doc = JsonDocument.Parse(line);
                ids.Add(doc.RootElement.GetProperty("messageId").GetString() ?? "");
            }
        }
        return ids;
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
