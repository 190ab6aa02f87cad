using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Headless.Tests.Infrastructure;

namespace Headless.Tests.Email;

/// <summary>One message as the SMTP sink received and parsed it (mailparser).</summary>
public sealed record ReceivedMail(
    List<string> To, string From, string Subject, string Text, string Html, string MessageId, Dictionary<string, string> Headers);

/// <summary>
/// A real SMTP server on 127.0.0.1: `node tests/tools/smtp-sink.mjs` (npm smtp-server + mailparser),
/// which appends every message it accepts, parsed, as a JSON line to a file this class reads. Killed on
/// dispose; it also exits by itself when this process goes away (its stdin closes).
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly NodeTool _node;

    private SmtpSink(NodeTool node, string file)
    {
        _node = node;
        Port = node.Ready.GetProperty("port").GetInt32();
        File = file;
    }

    public int Port { get; }

    /// <summary>The JSON-lines file the sink appends to.</summary>
    public string File { get; }

    /// <param name="port">0 for any free port.</param>
    public static async Task<SmtpSink> StartAsync(int port = 0)
    {
        var file = Path.Combine(Path.GetTempPath(), $"headless-smtp-{Guid.NewGuid():N}.jsonl");
        var node = await NodeTool.StartAsync("tests/tools/smtp-sink.mjs", port.ToString(System.Globalization.CultureInfo.InvariantCulture), file);
        return new SmtpSink(node, file);
    }

    /// <summary>Every message received so far, oldest first.</summary>
    public IReadOnlyList<ReceivedMail> Received()
    {
        if (!System.IO.File.Exists(File))
        {
            return [];
        }
        using var stream = new FileStream(File, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var content = reader.ReadToEnd();
        // Only complete lines: the sink writes each record with its newline in one go.
        var complete = content[..(content.LastIndexOf('\n') + 1)];
        return complete.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonSerializer.Deserialize<ReceivedMail>(l, Json)!)
            .ToList();
    }

    /// <summary>Polls until a matching message has arrived; fails the test at the deadline.</summary>
    public async Task<ReceivedMail> WaitForMailAsync(Func<ReceivedMail, bool> match, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var found = Received().FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }
            if (deadline.Elapsed > timeout)
            {
                var received = Received();
                var error = _node.Errors;
                Assert.Fail($"No matching mail arrived within {timeout.TotalSeconds:0.#} s. Received {received.Count}: "
                    + string.Join("; ", received.Select(m => $"{string.Join(",", m.To)} '{m.Subject}'"))
                    + (_node.HasExited ? $". The sink exited: {error}" : ""));
            }
            await Task.Delay(25);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _node.DisposeAsync();
        System.IO.File.Delete(File);
    }
}
