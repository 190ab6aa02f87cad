using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dapper;
using Headless.Api.Platform.Database;
using Headless.Api.Platform.Hosting;
using Headless.Backup;
using Headless.Tests.Infrastructure;
using Npgsql;

namespace Headless.Tests.Backups;

/// <summary>
/// The production repository type: pgBackRest archiving WAL to and backing up into S3, here a real
/// S3-compatible server (npm s3rver on 127.0.0.1 over HTTPS, since pgBackRest speaks to S3 only over TLS),
/// then a restore to latest read back from it. A cluster of its own (<c>.data/test-backup-s3-pg-PORT</c>, port
/// HEADLESS_TEST_BACKUP_S3_PG_PORT or 24358). The certificate is self-signed and made here, so TLS
/// verification is off for this repository (<c>S3VerifyTls=false</c>); AWS's S3 is verified.
/// </summary>
public sealed class S3RepositoryTests : IAsyncLifetime
{
    private const string Bucket = "headless-backups";
    private static readonly int Port = int.Parse(Environment.GetEnvironmentVariable("HEADLESS_TEST_BACKUP_S3_PG_PORT") ?? "24358", CultureInfo.InvariantCulture);
    private readonly string _directory = Path.Combine(RepoPaths.Data, $"test-backup-s3-pg-{Port}");
    private NodeTool? _s3;
    private LocalPostgres? _pg;
    private ClusterBackups _backups = null!;
    private string _superuser = "";

    private string ObjectsDirectory => Path.Combine(_directory, "s3-objects");

    public async Task InitializeAsync()
    {
        if (!PgBackRest.IsInstalled)
        {
            return;
        }
        await BackupCluster.StartAfreshAsync(_directory);
        Directory.CreateDirectory(ObjectsDirectory);
        var (key, cert) = WriteSelfSignedCertificate(_directory);
        _s3 = await NodeTool.StartAsync("tests/tools/s3rver.mjs", "0", ObjectsDirectory, Bucket, key, cert);
        // s3rver's fixed development credentials; path-style addressing, as on S3-compatible servers.
        var repository = new BackupRepository("s3", "/headless", Bucket, "us-east-1", "127.0.0.1", "S3RVER", "S3RVER",
            S3UriStyle: "path", S3Port: _s3.Ready.GetProperty("port").GetInt32(), S3VerifyTls: false);
        _backups = new ClusterBackups(_directory, Port, repository, TextWriter.Null);
        _pg = await LocalPostgres.StartAsync(_directory, Port, null, TextWriter.Null, default, _backups.Tool);
        _superuser = new NpgsqlConnectionStringBuilder(_pg.ConnectionString("postgres")) { Pooling = false }.ConnectionString;
    }

    [BackupFact]
    public async Task A_backup_and_the_archived_wal_in_s3_restore_every_committed_row()
    {
        await ExecuteAsync("create table s3_orders (n int primary key)");
        await ExecuteAsync("insert into s3_orders select generate_series(1, 100)");
        var backup = await _backups.BackupAsync("full", CancellationToken.None);
        Assert.Equal("full", backup.Type);
        for (var i = 101; i <= 110; i++)
        {
            await ExecuteAsync($"insert into s3_orders values ({i})");
        }

        var restored = await _backups.RestoreAsync(RestoreTarget.Latest, CancellationToken.None);

        Assert.Equal(backup.Label, restored.BackupLabel);
        await using var conn = new NpgsqlConnection(_superuser);
        Assert.Equal(Enumerable.Range(1, 110), await conn.QueryAsync<int>("select n from s3_orders order by n"));
        // What was restored came through the S3 server: the backup's manifest and archived WAL are objects in its bucket.
        var objects = Directory.GetFiles(Path.Combine(ObjectsDirectory, Bucket), "*", SearchOption.AllDirectories);
        Assert.Contains(objects, o => o.Contains($"{backup.Label}", StringComparison.Ordinal) && o.Contains("backup.manifest", StringComparison.Ordinal));
        Assert.Contains(objects, o => o.Contains("/archive/", StringComparison.Ordinal));
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(_superuser);
        await conn.ExecuteAsync(sql);
    }

    private static (string Key, string Cert) WriteSelfSignedCertificate(string directory)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var key = Path.Combine(directory, "s3-tls.key");
        var cert = Path.Combine(directory, "s3-tls.crt");
        File.WriteAllText(key, rsa.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(cert, certificate.ExportCertificatePem());
        return (key, cert);
    }

    public async Task DisposeAsync()
    {
        if (_pg is not null)
        {
            await _pg.StopAsync();
        }
        if (_s3 is not null)
        {
            await _s3.DisposeAsync();
        }
    }
}
