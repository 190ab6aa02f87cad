using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Headless.Drills;

/// <summary>A drill's progress lines, each stamped with the seconds since the drill started: `[  12.3 s] …`.</summary>
public sealed class StepLog(TextWriter log)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public TextWriter Writer => log;

    public void Step(string message) => log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,6:F1} s] {message}"));
}

/// <summary>The progress lines of what a drill starts (a cluster, a restore), indented under the drill's steps.</summary>
public sealed class Indented(TextWriter inner) : TextWriter
{
    public override Encoding Encoding => inner.Encoding;

    public override void WriteLine(string? value) => inner.WriteLine("    " + value);
}
