using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace Headless.Api.Features.Search;

/// <summary>
/// The counts (total and facets) of recent searches, kept in memory for <see cref="SearchOptions.CountCacheTtl"/>
/// (3 s by default) per words and filters (<see cref="SearchQuery.CountKey"/>), so a popular search is not
/// counted again on every request. Only counts: the page of items is read and stock-checked on every request.
/// <para>Single flight: the first request for a key that has no fresh counts starts the count, and every
/// request for that key arriving meanwhile waits for the same count. The count runs to its end even if the
/// request that started it goes away (others may be waiting); a count that fails is not kept.</para>
/// <para>Staleness: the counts describe the index as it was up to the TTL ago (and the index is itself up to
/// about a second behind the catalog). An answer whose own page shows more rows than its cached exact total
/// is recounted, so a new product never appears beside a total that leaves it out.</para>
/// <para>Bounded: at most <see cref="SearchOptions.CountCacheEntries"/> keys; expired ones are swept at most once
/// per TTL when the cache is full, and while it is full of fresh ones, other searches are counted uncached.</para>
/// </summary>
public sealed class SearchCountCache(ISearchEngine engine, IOptions<SearchOptions> options, TimeProvider clock)
{
    public const string MeterName = "Headless.Search";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Lookups = Meter.CreateCounter<long>("headless.search.count_cache", "{lookup}",
        "Search count lookups by result: hit (fresh counts reused), shared (waited for a count another request started), miss (counted), uncached (cache off or full).");

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _nextSweep;
    private long _hits;
    private long _shared;
    private long _misses;
    private long _uncached;
    private long _counts;

    /// <summary>Count statements (or OpenSearch count requests) this cache has run: what tests and the bench read.</summary>
    public long CountsRun => Interlocked.Read(ref _counts);

    public CountCacheStats Stats => new(Interlocked.Read(ref _hits), Interlocked.Read(ref _shared), Interlocked.Read(ref _misses), Interlocked.Read(ref _uncached));

    public async Task<EngineCounts> GetAsync(SearchQuery query, CancellationToken ct)
    {
        var ttl = options.Value.CountCacheTtl;
        if (ttl <= TimeSpan.Zero)
        {
            Record(ref _uncached, "uncached");
            return await CountAsync(query, ct);
        }
        var key = query.CountKey();
        while (true)
        {
            var now = clock.GetUtcNow();
            if (_entries.TryGetValue(key, out var found))
            {
                if (!found.Counts.Task.IsCompleted)
                {
                    Record(ref _shared, "shared");
                    return await found.Counts.Task.WaitAsync(ct);
                }
                if (found.Counts.Task.IsCompletedSuccessfully && now < found.Expires)
                {
                    Record(ref _hits, "hit");
                    return found.Counts.Task.Result;
                }
                var fresh = new Entry();
                if (!_entries.TryUpdate(key, fresh, found))
                {
                    continue; // another request replaced it first: use theirs
                }
                return await LeadAsync(key, fresh, query, ttl, ct);
            }
            if (_entries.Count >= options.Value.CountCacheEntries && !Sweep(now, ttl))
            {
                Record(ref _uncached, "uncached");
                return await CountAsync(query, ct);
            }
            var entry = new Entry();
            if (!_entries.TryAdd(key, entry))
            {
                continue;
            }
            return await LeadAsync(key, entry, query, ttl, ct);
        }
    }

    /// <summary>Drops these counts (e.g. when an answer's page proves them stale) unless they were replaced meanwhile.</summary>
    public void Forget(SearchQuery query, EngineCounts stale)
    {
        var key = query.CountKey();
        if (_entries.TryGetValue(key, out var entry) && entry.Counts.Task.IsCompletedSuccessfully && ReferenceEquals(entry.Counts.Task.Result, stale))
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
        }
    }

    private async Task<EngineCounts> LeadAsync(string key, Entry entry, SearchQuery query, TimeSpan ttl, CancellationToken ct)
    {
        Record(ref _misses, "miss");
        _ = RunAsync(key, entry, query, ttl);
        return await entry.Counts.Task.WaitAsync(ct);
    }

    private async Task RunAsync(string key, Entry entry, SearchQuery query, TimeSpan ttl)
    {
        try
        {
            // Not the leader's token: the requests waiting for this count must not fail because the first one left.
            var counts = await CountAsync(query, CancellationToken.None);
            entry.Expires = clock.GetUtcNow() + ttl;
            entry.Counts.TrySetResult(counts);
        }
        catch (Exception e)
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
            entry.Counts.TrySetException(e);
        }
    }

    private Task<EngineCounts> CountAsync(SearchQuery query, CancellationToken ct)
    {
        Interlocked.Increment(ref _counts);
        return engine.CountAsync(query, ct);
    }

    /// <summary>Removes expired and failed entries, at most once per TTL; true when that made room.</summary>
    private bool Sweep(DateTimeOffset now, TimeSpan ttl)
    {
        var due = Interlocked.Read(ref _nextSweep);
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref _nextSweep, (now + ttl).UtcTicks, due) != due)
        {
            return _entries.Count < options.Value.CountCacheEntries;
        }
        foreach (var (key, entry) in _entries)
        {
            if (entry.Counts.Task.IsCompleted && (!entry.Counts.Task.IsCompletedSuccessfully || now >= entry.Expires))
            {
                _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
            }
        }
        return _entries.Count < options.Value.CountCacheEntries;
    }

    private static void Record(ref long counter, string result)
    {
        Interlocked.Increment(ref counter);
        Lookups.Add(1, new KeyValuePair<string, object?>("result", result));
    }

    private sealed class Entry
    {
        public TaskCompletionSource<EngineCounts> Counts { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Set before the counts are published, so a reader that sees them completed sees this too.</summary>
        public DateTimeOffset Expires { get; set; } = DateTimeOffset.MaxValue;
    }
}

/// <summary>Lookups since the start, by how they were answered.</summary>
public sealed record CountCacheStats(long Hits, long Shared, long Misses, long Uncached);
