namespace Headless.Api.Platform.Storage;

/// <summary>Objects as files under a folder the API host serves at / (the storefront's site folder by default),
/// so <c>images/products/x.webp</c> is at <c>/images/products/x.webp</c>. Each file is written beside its target
/// and renamed over it, so a reader never sees half an image.</summary>
public sealed class LocalFolderStore(string directory, string publicBaseUrl) : IObjectStore
{
    private readonly string _root = Path.GetFullPath(directory);

    public string Describe => _root;

    public string PublicUrl(string key) => publicBaseUrl.TrimEnd('/') + "/" + key;

    public Task<bool> ExistsAsync(string key, CancellationToken ct) => Task.FromResult(File.Exists(Full(key)));

    public async Task PutAsync(string key, byte[] content, string contentType, CancellationToken ct)
    {
        var target = Full(key);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = target + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        await File.WriteAllBytesAsync(temp, content, ct);
        File.Move(temp, target, overwrite: true);
    }

    public Task DeleteAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        foreach (var key in keys)
        {
            File.Delete(Full(key));
        }
        return Task.CompletedTask;
    }

    private string Full(string key)
    {
        var full = Path.GetFullPath(Path.Combine(_root, key));
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The key {key} points outside the object folder.", nameof(key));
        }
        return full;
    }
}
