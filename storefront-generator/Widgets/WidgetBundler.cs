using System.Diagnostics;

namespace Headless.Storefront.Widgets;

/// <summary>
/// Bundles the TypeScript widgets (widgets/src/*.ts, one bundle per entry, with the generated TypeScript SDK)
/// with the pinned npm esbuild, when a source is newer than the bundles. Returns the bundles to publish as
/// fingerprinted assets under their logical names (product.js, account.js).
/// </summary>
public static class WidgetBundler
{
    public static IReadOnlyList<(string LogicalName, byte[] Content)> Bundle(StorefrontOptions options, TextWriter log)
    {
        var src = Path.Combine(options.WidgetsSourceDirectory, "src");
        if (!Directory.Exists(src))
        {
            return [];
        }
        var entries = Directory.GetFiles(src, "*.ts").Order(StringComparer.Ordinal).ToList();
        var output = options.WidgetsOutputDirectory;
        var stamp = Path.Combine(output, ".stamp");
        var sdk = Path.Combine(RepoRoot.Path, "sdk", "typescript", "headless-client.ts");
        var newest = Directory.GetFiles(options.WidgetsSourceDirectory, "*.ts", SearchOption.AllDirectories)
            .Append(sdk).Where(File.Exists).Select(File.GetLastWriteTimeUtc).DefaultIfEmpty(DateTime.MinValue).Max();
        if (!File.Exists(stamp) || File.GetLastWriteTimeUtc(stamp) < newest)
        {
            Run(entries, output, log);
            File.WriteAllText(stamp, DateTime.UtcNow.ToString("O"));
        }
        return entries.Select(e => Path.GetFileNameWithoutExtension(e) + ".js")
            .Select(name => (name, File.ReadAllBytes(Path.Combine(output, name))))
            .ToList();
    }

    private static void Run(List<string> entries, string output, TextWriter log)
    {
        var esbuild = Path.Combine(RepoRoot.Path, "node_modules", "esbuild", "bin", "esbuild");
        if (!File.Exists(esbuild))
        {
            throw new InvalidOperationException("npm esbuild is missing: run `npm ci` at the repository root (./build.sh does it).");
        }
        Directory.CreateDirectory(output);
        // bin/esbuild is the native binary (or, before esbuild's install step ran, a node script with a shebang): run it directly.
        var start = new ProcessStartInfo(esbuild)
        {
            WorkingDirectory = RepoRoot.Path,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var entry in entries)
        {
            start.ArgumentList.Add(entry);
        }
        foreach (var arg in new[] { "--bundle", "--format=esm", "--target=es2020", "--minify", "--legal-comments=none", "--log-level=warning", $"--outdir={output}" })
        {
            start.ArgumentList.Add(arg);
        }
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start esbuild.");
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"esbuild failed ({process.ExitCode}): {stderr.Result}");
        }
        log.WriteLine($"Widgets bundled with esbuild in {watch.ElapsedMilliseconds} ms ({entries.Count} entries).");
    }
}
