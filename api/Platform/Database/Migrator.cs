using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;

namespace Headless.Api.Platform.Database;

public sealed record Migration(string Version, string Sql)
{
    public string Checksum { get; } = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)))[..16].ToLowerInvariant();
}

/// <summary>Code that must run right before a migration, e.g. moving data out of columns the migration drops. It runs
/// after the migrations before it are committed and outside any migration transaction (it works in its own batches, so
/// it must be resumable and safe to run twice at once: two instances starting together may both run it).</summary>
public sealed record MigrationStep(string BeforeVersion, string Name, Func<CancellationToken, Task> RunAsync);

/// <summary>Applies the embedded, ordered `.sql` migrations in one transaction under an advisory lock,
/// so two instances starting together apply each file exactly once. A <see cref="MigrationStep"/> due before a pending
/// migration splits the run: what comes before it is committed, the step runs, then the rest is applied.</summary>
public static class Migrator
{
    private const long LockKey = 0x4845_4144_4C45_5353; // "HEADLESS"

    public static IReadOnlyList<Migration> All { get; } = Load();

    private static List<Migration> Load()
    {
        var assembly = typeof(Migrator).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return new Migration(n["Migrations.".Length..^".sql".Length], reader.ReadToEnd());
            })
            .ToList();
    }

    /// <returns>The versions applied by this call (empty when the database was up to date).</returns>
    public static Task<IReadOnlyList<string>> MigrateAsync(NpgsqlDataSource db, CancellationToken ct = default) => MigrateAsync(db, [], ct);

    /// <returns>The versions applied by this call (empty when the database was up to date).</returns>
    public static async Task<IReadOnlyList<string>> MigrateAsync(NpgsqlDataSource db, IReadOnlyList<MigrationStep> steps, CancellationToken ct = default)
    {
        var done = new List<string>();
        var ran = new HashSet<MigrationStep>();
        while (await ApplyUntilStepAsync(db, steps, ran, done, ct) is { } due)
        {
            await due.RunAsync(ct);
            ran.Add(due);
        }
        return done;
    }

    /// <returns>The step due before the next pending migration (what came before it is committed), or null when done.</returns>
    private static async Task<MigrationStep?> ApplyUntilStepAsync(
        NpgsqlDataSource db, IReadOnlyList<MigrationStep> steps, HashSet<MigrationStep> ran, List<string> done, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync("select pg_advisory_xact_lock(@LockKey)", new { LockKey }, tx);
        // No DDL unless needed: a login without CREATE may run this against an up-to-date database (Development).
        if (!await conn.ExecuteScalarAsync<bool>("select to_regclass('schema_migrations') is not null", transaction: tx))
        {
            await conn.ExecuteAsync("""
            create table if not exists schema_migrations (
                version    text primary key,
                checksum   text not null,
                applied_at timestamptz not null default now()
            )
            """, transaction: tx);
        }
        var applied = (await conn.QueryAsync<(string Version, string Checksum)>(
            "select version, checksum from schema_migrations", transaction: tx)).ToDictionary(r => r.Version, r => r.Checksum);

        foreach (var migration in All)
        {
            if (applied.TryGetValue(migration.Version, out var checksum))
            {
                if (checksum != migration.Checksum)
                {
                    throw new InvalidOperationException(
                        $"Migration {migration.Version} was changed after it was applied (checksum {checksum} in the database, {migration.Checksum} now). Add a new migration instead of editing an applied one.");
                }
                continue;
            }
            if (steps.FirstOrDefault(s => s.BeforeVersion == migration.Version && !ran.Contains(s)) is { } due)
            {
                await tx.CommitAsync(ct);
                return due;
            }
            await conn.ExecuteAsync(migration.Sql, transaction: tx);
            await conn.ExecuteAsync("insert into schema_migrations (version, checksum) values (@Version, @Checksum)", migration, tx);
            done.Add(migration.Version);
        }
        await tx.CommitAsync(ct);
        return null;
    }

    /// <returns>The embedded migrations the database has not applied yet.</returns>
    public static async Task<IReadOnlyList<string>> PendingAsync(NpgsqlConnection conn, CancellationToken ct = default)
    {
        var exists = await conn.ExecuteScalarAsync<bool>("select to_regclass('schema_migrations') is not null");
        if (!exists)
        {
            return All.Select(m => m.Version).ToList();
        }
        var applied = (await conn.QueryAsync<string>("select version from schema_migrations")).ToHashSet();
        return All.Select(m => m.Version).Where(v => !applied.Contains(v)).ToList();
    }
}
