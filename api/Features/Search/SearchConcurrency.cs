using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Search;

/// <summary>
/// At most <see cref="SearchOptions.MaxConcurrentSearches"/> searches of this instance run their statements at once;
/// the rest wait their turn, oldest first, in a queue of at most <see cref="SearchOptions.SearchQueueLimit"/>.
/// A search is CPU work in PostgreSQL: measured on the 100,000-product bench catalog with 2 cores, 32 single-word
/// searches at once cost PostgreSQL 22 ms of CPU each (79 requests/s, p99 4.3 s) against 7 ms with 8 at once
/// (207/s, p99 0.5 s): more busy backends than cores only add contention. Waiting in the API is cheaper than waiting in the
/// database. A full queue answers 503 with Retry-After (<see cref="SearchBusyException"/>).
/// </summary>
public sealed class SearchConcurrency(IOptions<SearchOptions> options) : IDisposable
{
    private readonly ConcurrencyLimiter _limiter = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = options.Value.MaxConcurrentSearches,
        QueueLimit = options.Value.SearchQueueLimit,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    /// <summary>Searches running now and waiting now (tests and the bench read them).</summary>
    public (long Running, long Waiting) Now
    {
        get
        {
            var stats = _limiter.GetStatistics()!;
            return (options.Value.MaxConcurrentSearches - stats.CurrentAvailablePermits, stats.CurrentQueuedCount);
        }
    }

    /// <summary>Waits for a turn; dispose the lease when the search's statements are done.</summary>
    public async ValueTask<RateLimitLease> EnterAsync(CancellationToken ct)
    {
        var lease = await _limiter.AcquireAsync(1, ct);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw new SearchBusyException();
        }
        return lease;
    }

    public void Dispose() => _limiter.Dispose();
}

public sealed class SearchBusyException() : Exception("Every search slot is taken and the queue is full.")
{
    public const int RetryAfterSeconds = 1;
}
