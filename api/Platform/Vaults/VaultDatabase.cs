using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;

namespace Headless.Api.Platform.Vaults;

/// <summary>
/// One region's vault database: the API's data source, and the migrations (embedded
/// `Platform/Vaults/Migrations/NNNN_*.sql`, recorded in the vault's own `vault_schema_migrations`), applied as the
/// owner when a migration connection is given. In Development the database is created first, beside the core one.
/// </summary>
public sealed class VaultDatabase(RegionSettings settings) : IAsyncDisposable
{
    private const long LockKey = 0x5641_554C_5448_4C53; // "VAULTHLS"

    public string Region => settings.Region;

    public RegionSettings Settings => settings;

    // A vault's pool has no LISTEN connection to notice a restart: the watch clears it (PoolWatch says why).
    private readonly (NpgsqlDataSource Source, Database.PoolWatch Watch)? _pool = settings.ConnectionString is { } cs ? Watched(Build(cs, settings.Region)) : null;

    public NpgsqlDataSource? DataSource => _pool?.Source;

    public static IReadOnlyList<(string Version, string Sql, string Checksum)> Migrations { get; } = Load();

    private static List<(string, string, string)> Load()
    {
        var assembly = typeof(VaultDatabase).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("VaultMigrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                var sql = reader.ReadToEnd();
                return (n["VaultMigrations.".Length..^".sql".Length], sql, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sql)))[..16].ToLowerInvariant());
            })
            .ToList();
    }

    public NpgsqlDataSource Open()
    {
        var (source, watch) = _pool ?? throw new InvalidOperationException($"No vault database is configured for {Region}.");
        watch.EnsureStarted();
        return source;
    }

    private static (NpgsqlDataSource, Database.PoolWatch) Watched(NpgsqlDataSource source) => (source, new Database.PoolWatch(source));

    /// <summary>Creates the database (Development) and applies pending migrations as the owner; returns the versions applied.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken ct)
    {
        if (settings.MigrationConnectionString is not { } owner)
        {
            return [];
        }
        if (settings.CreateDatabase)
        {
            await CreateDatabaseAsync(owner, ct);
        }
        await using var source = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(owner) { Pooling = false }.ConnectionString);
        await using var conn = await source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync("select pg_advisory_xact_lock(@LockKey)", new { LockKey }, tx);
        await conn.ExecuteAsync("""
            create table if not exists vault_schema_migrations (
                version    text primary key,
                checksum   text not null,
                applied_at timestamptz not null default now()
            )
            """, transaction: tx);
        var applied = (await conn.QueryAsync<(string Version, string Checksum)>("select version, checksum from vault_schema_migrations", transaction: tx))
            .ToDictionary(r => r.Version, r => r.Checksum);
        var done = new List<string>();
        foreach (var (version, sql, checksum) in Migrations)
        {
            if (applied.TryGetValue(version, out var existing))
            {
                if (existing != checksum)
                {
                    throw new InvalidOperationException($"Vault migration {version} was changed after it was applied. Add a new vault migration instead.");
                }
                continue;
            }
            await conn.ExecuteAsync(sql, transaction: tx);
            await conn.ExecuteAsync("insert into vault_schema_migrations (version, checksum) values (@version, @checksum)", new { version, checksum }, tx);
            done.Add(version);
        }
        await tx.CommitAsync(ct);
        return done;
    }

    /// <summary>The migrations the vault has not applied yet.</summary>
    public static async Task<IReadOnlyList<string>> PendingAsync(NpgsqlConnection conn)
    {
        if (!await conn.ExecuteScalarAsync<bool>("select to_regclass('vault_schema_migrations') is not null"))
        {
            return Migrations.Select(m => m.Version).ToList();
        }
        var applied = (await conn.QueryAsync<string>("select version from vault_schema_migrations")).ToHashSet();
        return Migrations.Select(m => m.Version).Where(v => !applied.Contains(v)).ToList();
    }

    private static async Task CreateDatabaseAsync(string owner, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(owner) { Pooling = false };
        var name = builder.Database!;
        builder.Database = "postgres";
        await using var conn = new NpgsqlConnection(builder.ConnectionString);
        await conn.OpenAsync(ct);
        if (await conn.ExecuteScalarAsync<bool>("select exists (select 1 from pg_database where datname = @name)", new { name }))
        {
            return;
        }
        try
        {
            // The name is the core database's (configuration, not user input) plus our suffix; quoted.
            await conn.ExecuteAsync($"create database \"{name.Replace("\"", "\"\"")}\"");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase || e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Another instance created it first.
        }
    }

    private static NpgsqlDataSource Build(string connectionString, string region)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.ApplicationName ??= "headless-api";
        // A vault that is down must fail fast (503 and Retry-After), not hold the request for the default 15 s.
        if (builder.ConnectionStringBuilder.Timeout == 15)
        {
            builder.ConnectionStringBuilder.Timeout = 3;
        }
        builder.Name = $"headless-vault-{region}";
        return builder.Build();
    }

    public async ValueTask DisposeAsync()
    {
        if (_pool is { } pool)
        {
            await pool.Watch.DisposeAsync();
            await pool.Source.DisposeAsync();
        }
    }
}
