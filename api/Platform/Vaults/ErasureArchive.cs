using System.Globalization;
using Amazon.S3;
using Amazon.S3.Model;
using Headless.Api.Platform.Storage;

namespace Headless.Api.Platform.Vaults;

/// <summary>One erasure as the journal keeps it: pseudonymous (the person's id, their region, when).</summary>
public sealed record Erasure(Guid PersonId, string Region, DateTimeOffset ErasedAt);

/// <summary>
/// The erasure journal's copy outside every database: one small object per erasure, <c>erasures/&lt;region&gt;/&lt;id&gt;</c>,
/// written once and never changed or deleted by the API. A restored database cannot roll it back, so it alone is enough
/// to re-apply erasures even when the core database was restored to before them too.
/// </summary>
public interface IErasureArchive
{
    /// <summary>Where it writes, for logs and the operations docs.</summary>
    string Describe { get; }

    /// <summary>Idempotent: an erasure already archived is left as it is.</summary>
    Task AppendAsync(Erasure erasure, CancellationToken ct);

    Task<IReadOnlyList<Erasure>> ListAsync(string region, CancellationToken ct);
}

/// <summary>`Headless:ErasureJournal`: an S3 bucket (<see cref="ObjectStoreOptions.S3Bucket"/> and the other S3 settings,
/// as for images) in production, else a local folder, `.data/erasures` by default. Never the public image store: the
/// archive is not for browsers.</summary>
public static class ErasureArchives
{
    public const string Section = "Headless:ErasureJournal";

    public static ObjectStoreOptions Options(IConfiguration config) => config.GetSection(Section).Get<ObjectStoreOptions>() ?? new ObjectStoreOptions();

    public static IErasureArchive From(IConfiguration config)
    {
        var options = Options(config);
        if (!string.IsNullOrWhiteSpace(options.S3Bucket))
        {
            return new S3ErasureArchive(new AmazonS3Client(S3ObjectStore.Config(options)), options.S3Bucket, options.S3Prefix);
        }
        return new LocalErasureArchive(string.IsNullOrWhiteSpace(options.Directory)
            ? Path.Combine(Hosting.RepoPaths.Data, "erasures")
            : Path.GetFullPath(options.Directory, Hosting.RepoPaths.Root));
    }

    /// <summary>Outside Development the archive must be named: a folder inside a container is gone with it.</summary>
    public static IEnumerable<string> ProductionProblems(IConfiguration config)
    {
        var options = Options(config);
        if (string.IsNullOrWhiteSpace(options.S3Bucket) && string.IsNullOrWhiteSpace(options.Directory))
        {
            yield return "Headless__ErasureJournal__S3Bucket (with __S3Region, __S3Prefix) or Headless__ErasureJournal__Directory (durable storage, "
                + "not the container's disk): where the erasure journal's copy outside the databases is kept, so an erasure survives a backup restore.";
        }
    }

    internal static string Key(string region, Guid person) => $"erasures/{region}/{person:N}";

    internal static bool TryParse(string region, string name, DateTimeOffset erasedAt, out Erasure erasure)
    {
        erasure = null!;
        if (!Guid.TryParseExact(name, "N", out var id))
        {
            return false;
        }
        erasure = new Erasure(id, region, erasedAt);
        return true;
    }
}

/// <summary>Erasures as empty-bodied files named by the person's id; the file's time is the erasure's.</summary>
public sealed class LocalErasureArchive(string directory) : IErasureArchive
{
    private readonly string _root = Path.GetFullPath(directory);

    public string Describe => _root;

    public Task AppendAsync(Erasure erasure, CancellationToken ct)
    {
        var target = Path.Combine(_root, ErasureArchives.Key(erasure.Region, erasure.PersonId));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            using var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
            file.Write(System.Text.Encoding.UTF8.GetBytes(erasure.ErasedAt.ToString("O", CultureInfo.InvariantCulture)));
            file.Flush(flushToDisk: true);
        }
        catch (IOException) when (File.Exists(target))
        {
            // Already archived (a re-applied or repeated erasure).
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<Erasure>> ListAsync(string region, CancellationToken ct)
    {
        var folder = Path.Combine(_root, "erasures", region);
        var found = new List<Erasure>();
        if (Directory.Exists(folder))
        {
            foreach (var file in new DirectoryInfo(folder).EnumerateFiles())
            {
                if (ErasureArchives.TryParse(region, file.Name, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero), out var erasure))
                {
                    found.Add(erasure);
                }
            }
        }
        return Task.FromResult<IReadOnlyList<Erasure>>(found);
    }
}

/// <summary>Erasures as objects in a bucket (versioned, with a deny-delete policy, per docs/operations.md); the object's
/// LastModified is the erasure's time.</summary>
public sealed class S3ErasureArchive(IAmazonS3 s3, string bucket, string prefix) : IErasureArchive
{
    public string Describe => $"s3://{bucket}/{prefix}erasures/";

    public async Task AppendAsync(Erasure erasure, CancellationToken ct)
    {
        using var body = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(erasure.ErasedAt.ToString("O", CultureInfo.InvariantCulture)), writable: false);
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = prefix + ErasureArchives.Key(erasure.Region, erasure.PersonId),
            InputStream = body,
            ContentType = "text/plain",
            UseChunkEncoding = false,
        }, ct);
    }

    public async Task<IReadOnlyList<Erasure>> ListAsync(string region, CancellationToken ct)
    {
        var found = new List<Erasure>();
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = $"{prefix}erasures/{region}/" };
        ListObjectsV2Response page;
        do
        {
            page = await s3.ListObjectsV2Async(request, ct);
            foreach (var item in page.S3Objects ?? [])
            {
                var name = item.Key[request.Prefix.Length..];
                if (ErasureArchives.TryParse(region, name, item.LastModified is { } at ? new DateTimeOffset(at.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.UtcNow, out var erasure))
                {
                    found.Add(erasure);
                }
            }
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);
        return found;
    }
}
