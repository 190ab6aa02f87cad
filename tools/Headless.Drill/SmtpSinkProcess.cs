using System.Diagnostics;
using System.Text.Json;
using Headless.Api.Platform.Hosting;

namespace Headless.Drill;

/// <summary>
/// The tests' SMTP sink (<c>node tests/tools/smtp-sink.mjs</c>) on a fixed port, appending every message to
/// one file; stopped and started again on the same port and file for the "SMTP unreachable" fault.
/// <para>The fault is the "SMTP unreachable": <see cref="StopAcceptingAsync"/> closes the listener
/// (connections are refused from then on) and lets the sessions in flight finish, so every message the sink
/// stored was acknowledged. Killing it mid-DATA instead would store a message whose 250 never reached the
/// sender, which the sender rightly sends again (same Message-ID): at-least-once delivery, which a receiving
/// server de-duplicates by Message-ID. That is a crash of the receiver, not an unreachable one.</para>
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

    /// <summary>Stops listening (new connections are refused) and waits for the sessions in flight to end
    /// (smtp-server's close on stdin's end); a sink that has not exited after a minute is killed, and said so.</summary>
    public async Task<string> StopAcceptingAsync()
    {
        if (_node is not { HasExited: false } node)
        {
            return "it was not running";
        }
        node.StandardInput.Close();
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await node.WaitForExitAsync(grace.Token);
            return "it closed its port and let the sessions in flight finish";
        }
        catch (OperationCanceledException)
        {
            await StopAsync();
            return "sessions in flight did not finish within 60 s, so it was killed";
        }
        finally
        {
            _node?.Dispose();
            _node = null;
        }
    }

    /// <summary>Kills it (the end of the run).</summary>
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

    /// <summary>The Message-ID of every message received, one entry per message (a redelivery is a second entry).</summary>
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
