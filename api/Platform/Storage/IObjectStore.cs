namespace Headless.Api.Platform.Storage;

/// <summary>
/// Where files the API makes for the public (product images) live: keys are slash-separated paths such as
/// <c>images/products/ab12…-640.webp</c>, the same in every store, and <see cref="PublicUrl"/> is where a
/// browser finds one. Names are content-hashed, so a key is written once and never changes afterwards.
/// </summary>
public interface IObjectStore
{
    /// <summary>Where it writes, for the start-up banner and logs.</summary>
    string Describe { get; }

    string PublicUrl(string key);

    Task<bool> ExistsAsync(string key, CancellationToken ct);

    Task PutAsync(string key, byte[] content, string contentType, CancellationToken ct);

    Task DeleteAsync(IReadOnlyCollection<string> keys, CancellationToken ct);
}
