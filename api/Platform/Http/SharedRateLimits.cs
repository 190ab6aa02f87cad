using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Dapper;
using Npgsql;

namespace Headless.Api.Platform.Http;

/// <summary>
/// Fixed-window counters in PostgreSQL (`rate_limit_windows`, migration 0018), so one budget holds across
/// every API instance behind the load balancer instead of one per process. An attempt is one upsert that
/// returns the window's count; a partition's window starts at its first attempt by the database's clock,
/// never an instance's, so instances whose clocks drift still share it. Ended windows are deleted at most once a minute per
/// process. Partitions are client addresses: they are stored only as a keyed hash (<see cref="StoredPartition"/>).
/// </summary>
public sealed class SharedRateLimits(NpgsqlDataSource db, TimeProvider clock, Vaults.VaultRegions regions)
{
    private byte[]? _partitionKey;

    /// <summary>What `partition_key` holds for a partition: HMAC-SHA256 under a key derived (HKDF) from this region's
    /// blind-index key, a secret every instance of the region shares, so the budget stays shared while the table names
    /// no client address (nor can one be found by hashing guessed addresses without the key).</summary>
    public string StoredPartition(string partition)
    {
        _partitionKey ??= HKDF.DeriveKey(HashAlgorithmName.SHA256,
            regions[regions.Residency.Region].BlindIndexKey ?? throw new InvalidOperationException(
                $"No blind-index key is configured for the {regions.Residency.Region} vault; rate-limit partitions are keyed by it."),
            32, info: "headless rate-limit partition v1"u8.ToArray());
        return Convert.ToHexStringLower(HMACSHA256.HashData(_partitionKey, Encoding.UTF8.GetBytes(partition)));
    }

    private static readonly TimeSpan SweepEvery = TimeSpan.FromMinutes(1);
    private long _nextSweepTicks;

    /// <summary>Counts one attempt and returns how many the window has seen, this one included. A partition's
    /// window starts at its first attempt (by the database's clock) and lasts <paramref name="window"/>; the
    /// advisory lock makes concurrent first attempts from one partition share one window.</summary>
    public async Task<int> HitAsync(string limit, string partition, TimeSpan window, CancellationToken ct)
    {
        partition = StoredPartition(partition);
        await using var conn = await db.OpenConnectionAsync(ct);
        await SweepIfDueAsync(conn, ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(hashtextextended(@key, 0))",
            new { key = limit + "\n" + partition }, tx, cancellationToken: ct));
        var hits = await conn.ExecuteScalarAsync<int>(new CommandDefinition("""
            with current_window as (
                select window_start from rate_limit_windows
                where limit_name = @limit and partition_key = @partition and expires_at > clock_timestamp()
                order by window_start desc limit 1
            ), w as (
                select coalesce((select window_start from current_window), clock_timestamp()) as start
            )
            insert into rate_limit_windows (limit_name, partition_key, window_start, expires_at, hits)
            select @limit, @partition, w.start, w.start + make_interval(secs => @seconds), 1 from w
            on conflict (limit_name, partition_key, window_start) do update set hits = rate_limit_windows.hits + 1
            returning hits
            """, new { limit, partition, seconds = window.TotalSeconds }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return hits;
    }

    /// <summary>A per-partition limiter for ASP.NET Core's rate limiting middleware over this budget.</summary>
    public RateLimiter Limiter(string limit, string partition, int permitLimit, TimeSpan window) =>
        new WindowLimiter(this, limit, partition, permitLimit, window, clock);

    private async Task SweepIfDueAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcTicks;
        var due = Interlocked.Read(ref _nextSweepTicks);
        if (now < due || Interlocked.CompareExchange(ref _nextSweepTicks, now + SweepEvery.Ticks, due) != due)
        {
            return;
        }
        await conn.ExecuteAsync(new CommandDefinition("delete from rate_limit_windows where expires_at < now()", cancellationToken: ct));
    }

    /// <summary>Holds no state of its own (the count is in the database), so the middleware may drop and
    /// recreate it whenever it likes. The synchronous attempt always declines, which sends the middleware
    /// to <see cref="AcquireAsyncCore"/>, where the database is asked.</summary>
    private sealed class WindowLimiter(SharedRateLimits limits, string limit, string partition, int permitLimit, TimeSpan window, TimeProvider clock)
        : RateLimiter
    {
        private long _lastUsedTicks = clock.GetTimestamp();

        public override TimeSpan? IdleDuration => clock.GetElapsedTime(Interlocked.Read(ref _lastUsedTicks));

        public override RateLimiterStatistics? GetStatistics() => null;

        protected override RateLimitLease AttemptAcquireCore(int permitCount) => Lease.Declined;

        protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
        {
            Interlocked.Exchange(ref _lastUsedTicks, clock.GetTimestamp());
            var hits = await limits.HitAsync(limit, partition, window, cancellationToken);
            return hits <= permitLimit ? Lease.Granted : Lease.Refused;
        }
    }

    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public static readonly Lease Granted = new(true);
        public static readonly Lease Refused = new(false);
        public static readonly Lease Declined = new(false);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
