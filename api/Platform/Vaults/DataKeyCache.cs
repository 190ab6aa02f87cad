using Microsoft.Extensions.Caching.Memory;

namespace Headless.Api.Platform.Vaults;

/// <summary>
/// Unwrapped data keys, briefly, so a request that reads a person twice (or a page of orders) costs one unwrap, which is
/// a KMS call in production. Bounded in count and time; a shred evicts the person's key at once (other instances hold
/// theirs at most <see cref="Lifetime"/>, but every read first finds the person's row, which a shred has emptied).
/// </summary>
public sealed class DataKeyCache : IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);
    private readonly MemoryCache _keys;

    public DataKeyCache(int capacity = 10_000) => _keys = new MemoryCache(new MemoryCacheOptions { SizeLimit = capacity });

    public int Count => _keys.Count;

    public bool TryGet(Guid person, out byte[] dataKey) => _keys.TryGetValue(person, out dataKey!);

    public void Set(Guid person, byte[] dataKey) =>
        _keys.Set(person, dataKey, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = Lifetime });

    public void Evict(Guid person) => _keys.Remove(person);

    public void Dispose() => _keys.Dispose();
}
