using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Headless.Bench;

internal sealed record MachineInfo(
    string Cores, string CpuModel, string Ram, string Os, string Kernel, string DotNet, string ApiGc,
    string PostgresVersion, string PostgresSettings, string Wrk)
{
    public static async Task<MachineInfo> CollectAsync(BenchDatabase db, Wrk wrk, string apiDll, CancellationToken ct)
    {
        var (nprocExit, nproc) = await Shell.RunAsync("nproc", [], ct);
        var cores = nprocExit == 0 ? nproc.Trim() : Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture);
        var cpu = ReadOr("/proc/cpuinfo", text => text.Split('\n')
            .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim());
        var ram = ReadOr("/proc/meminfo", text =>
        {
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            var kb = line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            return kb == 0 ? null : $"{kb / 1024.0 / 1024.0:F1} GiB";
        });
        var os = ReadOr("/etc/os-release", text => text.Split('\n')
            .FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?["PRETTY_NAME=".Length..].Trim('"'));
        var kernel = ReadOr("/proc/sys/kernel/osrelease", text => "Linux " + text.Trim());
        var (pgVersion, sharedBuffers, maxConnections) = await db.ServerInfoAsync(ct);
        return new MachineInfo(cores, cpu, ram, os, kernel, RuntimeInformation.FrameworkDescription, ApiGcMode(apiDll),
            pgVersion, $"shared_buffers {sharedBuffers}, max_connections {maxConnections}", wrk.Version);
    }

    /// <summary>The GC mode the API runs with, from its runtimeconfig.json (and DOTNET_gcServer if set).</summary>
    private static string ApiGcMode(string apiDll)
    {
        var server = false;
        var concurrent = true;
        var path = Path.ChangeExtension(apiDll, ".runtimeconfig.json");
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            if (json.RootElement.GetProperty("runtimeOptions").TryGetProperty("configProperties", out var props))
            {
                if (props.TryGetProperty("System.GC.Server", out var s))
                {
                    server = s.GetBoolean();
                }
                if (props.TryGetProperty("System.GC.Concurrent", out var c))
                {
                    concurrent = c.GetBoolean();
                }
            }
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return "unknown (no runtimeconfig.json)";
        }
        var env = Environment.GetEnvironmentVariable("DOTNET_gcServer");
        if (env is "0" or "1")
        {
            server = env == "1";
        }
        return $"{(server ? "Server" : "Workstation")} GC{(concurrent ? ", concurrent" : "")}";
    }

    private static string ReadOr(string path, Func<string, string?> parse)
    {
        try
        {
            return parse(File.ReadAllText(path)) ?? "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
