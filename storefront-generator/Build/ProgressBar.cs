using System.Diagnostics;

namespace Headless.Storefront.Build;

/// <summary>A progress bar on stderr for full builds: redrawn in place on a terminal, a line per 10 % otherwise.</summary>
public sealed class ProgressBar(TextWriter output, bool interactive)
{
    private readonly Stopwatch _since = Stopwatch.StartNew();
    private long _lastDraw = -1000;
    private int _lastDecile = -1;

    public void Report(long done, long total, string unit)
    {
        if (total <= 0)
        {
            return;
        }
        var fraction = Math.Clamp(done / (double)total, 0, 1);
        if (interactive)
        {
            if (_since.ElapsedMilliseconds - _lastDraw < 100 && done < total)
            {
                return;
            }
            _lastDraw = _since.ElapsedMilliseconds;
            const int width = 30;
            var filled = (int)(fraction * width);
            output.Write($"\r  [{new string('#', filled)}{new string('.', width - filled)}] {fraction,4:P0} {done:N0}/{total:N0} {unit}");
            if (done >= total)
            {
                output.WriteLine();
            }
        }
        else
        {
            var decile = (int)(fraction * 10);
            if (decile != _lastDecile)
            {
                _lastDecile = decile;
                output.WriteLine($"  {fraction,4:P0} {done:N0}/{total:N0} {unit} ({_since.Elapsed.TotalSeconds:0.0} s)");
            }
        }
    }
}
