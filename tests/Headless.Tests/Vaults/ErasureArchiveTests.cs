using Amazon.Runtime;
using Amazon.S3;
using Headless.Api.Platform.Storage;
using Headless.Api.Platform.Vaults;
using Headless.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Headless.Tests.Vaults;

/// <summary>The erasure archive in S3 (production's): a real S3-compatible server (npm s3rver on 127.0.0.1), and the
/// local folder, each appended to and listed per region.</summary>
public sealed class ErasureArchiveTests : IAsyncLifetime
{
    private const string Bucket = "erasure-journal";
    private readonly string _s3Directory = Path.Combine(Path.GetTempPath(), "headless-s3erasures-" + Guid.NewGuid().ToString("N")[..10]);
    private NodeTool _s3rver = null!;
    private AmazonS3Client _s3 = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_s3Directory);
        _s3rver = await NodeTool.StartAsync("tests/tools/s3rver.mjs", "0", _s3Directory, Bucket);
        var options = new ObjectStoreOptions
        {
            S3Bucket = Bucket,
            S3ServiceUrl = $"http://127.0.0.1:{_s3rver.Ready.GetProperty("port").GetInt32()}",
            S3ForcePathStyle = true,
        };
        _s3 = new AmazonS3Client(new BasicAWSCredentials("S3RVER", "S3RVER"), S3ObjectStore.Config(options));
    }

    public async Task DisposeAsync()
    {
        _s3.Dispose();
        await _s3rver.DisposeAsync();
        Directory.Delete(_s3Directory, recursive: true);
    }

    [Fact]
    public async Task S3_keeps_one_object_per_erasure_under_its_region_and_lists_them_back()
    {
        var archive = new S3ErasureArchive(_s3, Bucket, "shop/");
        await AppendsAndListsAsync(archive);
        var keys = (await _s3.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = Bucket })).S3Objects.Select(o => o.Key).ToList();
        Assert.Equal(3, keys.Count);
        Assert.All(keys, k => Assert.Matches("^shop/erasures/(eu|us)/[0-9a-f]{32}$", k));
    }

    [Fact]
    public async Task A_local_folder_keeps_one_file_per_erasure_and_lists_them_back()
    {
        var folder = Directory.CreateTempSubdirectory("headless-erasures-").FullName;
        await AppendsAndListsAsync(new LocalErasureArchive(folder));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(folder, "erasures", "eu")).Length);
    }

    [Fact]
    public void The_archive_is_S3_when_a_bucket_is_configured_else_a_folder_and_production_must_name_one()
    {
        var s3 = ErasureArchives.From(Config(new() { ["Headless:ErasureJournal:S3Bucket"] = "b", ["Headless:ErasureJournal:S3Prefix"] = "p/" }));
        Assert.IsType<S3ErasureArchive>(s3);
        Assert.Equal("s3://b/p/erasures/", s3.Describe);
        var local = ErasureArchives.From(Config(new()));
        Assert.IsType<LocalErasureArchive>(local);
        Assert.EndsWith(Path.Combine(".data", "erasures"), local.Describe, StringComparison.Ordinal);
        Assert.Contains("Headless__ErasureJournal__S3Bucket", Assert.Single(ErasureArchives.ProductionProblems(Config(new()))));
        Assert.Empty(ErasureArchives.ProductionProblems(Config(new() { ["Headless:ErasureJournal:Directory"] = "/mnt/erasures" })));
    }

    private static async Task AppendsAndListsAsync(IErasureArchive archive)
    {
        var greta = new Erasure(Guid.CreateVersion7(), Residency.Eu, DateTimeOffset.UtcNow);
        var hans = new Erasure(Guid.CreateVersion7(), Residency.Eu, DateTimeOffset.UtcNow);
        var ann = new Erasure(Guid.CreateVersion7(), Residency.Us, DateTimeOffset.UtcNow);
        Assert.Empty(await archive.ListAsync(Residency.Eu, CancellationToken.None));
        foreach (var erasure in new[] { greta, hans, ann, greta })
        {
            await archive.AppendAsync(erasure, CancellationToken.None);
        }
        var eu = await archive.ListAsync(Residency.Eu, CancellationToken.None);
        Assert.Equal(new[] { greta.PersonId, hans.PersonId }.Order(), eu.Select(e => e.PersonId).Order());
        Assert.All(eu, e => Assert.Equal(Residency.Eu, e.Region));
        Assert.All(eu, e => Assert.InRange(e.ErasedAt, greta.ErasedAt.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5)));
        Assert.Equal([ann.PersonId], (await archive.ListAsync(Residency.Us, CancellationToken.None)).Select(e => e.PersonId));
    }

    private static IConfiguration Config(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
