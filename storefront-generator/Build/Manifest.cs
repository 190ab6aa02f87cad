using System.Collections.Concurrent;
using System.Text.Json;

namespace Headless.Storefront.Build;

/// <summary>One published file: its content hash and the products/categories it was made from.</summary>
public sealed record ManifestEntry(string Hash, string[] Deps);

/// <summary>What is published now: every file's hash and dependencies, and the change-feed cursor it is current to.</summary>
public sealed class Manifest
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string? FeedCursor { get; set; }

    public ConcurrentDictionary<string, ManifestEntry> Files { get; set; } = new(StringComparer.Ordinal);

    public static Manifest Load(string path)
    {
        if (!File.Exists(path))
        {
            return new Manifest();
        }
        using var stream = File.OpenRead(path);
        var manifest = JsonSerializer.Deserialize<Manifest>(stream, Json) ?? new Manifest();
        manifest.Files = new ConcurrentDictionary<string, ManifestEntry>(manifest.Files, StringComparer.Ordinal);
        return manifest;
    }

    private readonly Lock _saving = new();

    /// <summary>Writes the manifest (a page rebuild and the sitemap/feed worker both save it: one at a time).</summary>
    public void Save(string path)
    {
        lock (_saving)
        {
            SaveNow(path);
        }
    }

    private void SaveNow(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        using (var stream = File.Create(temp))
        {
            JsonSerializer.Serialize(stream, this, Json);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The files made from a dependency (p:&lt;id&gt;, c:&lt;id&gt;, …).</summary>
    public IEnumerable<string> DependentsOf(string dep) =>
        Files.Where(f => Array.IndexOf(f.Value.Deps, dep) >= 0).Select(f => f.Key);
}
