using System.Diagnostics;
using System.Globalization;
using System.Text;
using Headless.Api.Features.Catalog.Images;
using Headless.Api.Platform.Hosting;
using Headless.Api.Platform.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using NetVips;

namespace Headless.Bench;

/// <summary>
/// <c>./build.sh bench --only=images</c>: the image pipeline on a 12-megapixel photo (4000 × 3000 JPEG made
/// with libvips: gradients, waves and noise, so the encoders have real work), in process, no database. Each
/// run renders every size of one format (AVIF, WebP, JPEG) from the upload's bytes, then all of them as an
/// upload does; p50/p95 of the runs per format and in all into docs/benchmarks.md. The issue's aim: all
/// sizes under 1 s.
/// </summary>
internal sealed class ImageBench(BenchOptions options)
{
    public const string StartMarker = "<!-- bench:images -->";
    public const string EndMarker = "<!-- /bench:images -->";
    public const double AimMs = 1000;

    private int Runs => options.Quick ? 2 : 7;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var loadBefore = LoadAverage();
        Log.Step($"Image pipeline: a 12 MP JPEG, {Runs} runs per format (libvips {NetVips.NetVips.Version(0)}.{NetVips.NetVips.Version(1)}.{NetVips.NetVips.Version(2)})");
        var photo = Photo(4000, 3000).JpegsaveBuffer(q: 90);
        Log.Info($"source: 4000 × 3000 JPEG, {photo.Length / 1024.0 / 1024.0:F1} MB");
        var work = Directory.CreateTempSubdirectory("headless-bench-images-");
        try
        {
            var pipeline = new ImagePipeline(Microsoft.Extensions.Options.Options.Create(new ImageOptions()),
                new LocalFolderStore(work.FullName, "/"), NullLogger<ImagePipeline>.Instance);
            var (inspected, refusal) = pipeline.Inspect(photo, ImageKind.Jpeg);
            if (inspected is null)
            {
                throw new BenchFailure($"The pipeline refused the bench's photo: {refusal!.Detail}");
            }
            var plan = pipeline.Plan(inspected);
            var rows = new List<(string Name, int Files, List<double> Ms)>();
            foreach (var (name, format) in new[] { ("AVIF", "avif"), ("WebP", "webp"), ("JPEG", "jpeg"), ("All formats (an upload)", (string?)null) })
            {
                ct.ThrowIfCancellationRequested();
                var renditions = plan.Where(r => format is null || r.Format == format).ToList();
                pipeline.Render(photo, inspected, renditions); // warm-up: libvips' and the encoders' first-use set-up
                var times = new List<double>();
                for (var i = 0; i < Runs; i++)
                {
                    var clock = Stopwatch.StartNew();
                    pipeline.Render(photo, inspected, renditions);
                    times.Add(clock.Elapsed.TotalMilliseconds);
                }
                times.Sort();
                rows.Add((name, renditions.Count, times));
                Log.Info($"{name,-24} {renditions.Count,2} files: p50 {Percentile(times, 50),7:F0} ms  p95 {Percentile(times, 95),7:F0} ms");
            }
            var load = $"{loadBefore} at the start, {LoadAverage()} at the end";
            Log.Info($"load average (1 min): {load}");
            var markdown = Markdown(started, await BenchRun.CodeVersionAsync(ct), photo.Length, plan, rows, load);
            if (!options.WritesDocs)
            {
                var quickPath = Path.Combine(RepoPaths.Data, "bench-logs", "quick-images-result.md");
                Directory.CreateDirectory(Path.GetDirectoryName(quickPath)!);
                await File.WriteAllTextAsync(quickPath, markdown, CancellationToken.None);
                Log.Step($"A trial run: docs/benchmarks.md left alone; the images section is in {quickPath}.");
            }
            else
            {
                var docs = Path.Combine(RepoPaths.Root, "docs", "benchmarks.md");
                BenchReport.WriteInto(docs, markdown, StartMarker, EndMarker);
                Log.Step($"Wrote the image results to {docs}.");
            }
            return 0;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private string Markdown(DateTime started, string code, int sourceBytes, IReadOnlyList<Rendition> plan, List<(string Name, int Files, List<double> Ms)> rows, string load)
    {
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(StartMarker);
        md.AppendLine("## Image pipeline: all sizes of a 12 MP photo");
        md.AppendLine();
        md.AppendLine(inv, $"Measured {started:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores (shared with other work: load average {load}), code {code}, libvips {NetVips.NetVips.Version(0)}.{NetVips.NetVips.Version(1)}.{NetVips.NetVips.Version(2)}. " +
            $"Source: a 4000 × 3000 JPEG of {sourceBytes / 1024.0 / 1024.0:F1} MB; widths {string.Join(", ", plan.Select(r => r.Width).Distinct())}. {Runs} runs after a warm-up; each run starts from the upload's bytes (decode included).");
        md.AppendLine();
        md.AppendLine("| formats | files | p50 | p95 |");
        md.AppendLine("|---|---:|---:|---:|");
        foreach (var (name, files, ms) in rows)
        {
            md.AppendLine(inv, $"| {name} | {files} | {Percentile(ms, 50):F0} ms | {Percentile(ms, 95):F0} ms |");
        }
        md.AppendLine();
        md.AppendLine(inv, $"Aim: all sizes under {AimMs:F0} ms. Run: `./build.sh bench --only=images` (the API's Release build; no database).");
        md.AppendLine(EndMarker);
        return md.ToString();
    }

    /// <summary>The 1-minute load average: how many other runnable processes shared the cores.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    private static double Percentile(List<double> sorted, int p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>A photo-like RGB picture: gradients, waves and a little noise.</summary>
    private static Image Photo(int width, int height)
    {
        using var xyz = Image.Xyz(width, height);
        var (x, y) = (xyz[0], xyz[1]);
        var r = (x / 41.0).Math(Enums.OperationMath.Sin) * 60 + 120 + y / (height / 60.0);
        var g = (y / 31.0).Math(Enums.OperationMath.Cos) * 50 + 100 + x / (width / 80.0);
        var b = ((x + y) / 57.0).Math(Enums.OperationMath.Sin) * 70 + 110;
        return (r.Bandjoin(g, b) + Image.Gaussnoise(width, height, sigma: 8)).Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb).CopyMemory();
    }
}
