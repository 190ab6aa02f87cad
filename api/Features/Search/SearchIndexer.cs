using Headless.Api.Platform.Outbox;
using Npgsql;

namespace Headless.Api.Features.Search;

/// <summary>
/// Keeps the search index in step with the catalog: an outbox consumer (woken by LISTEN/NOTIFY, so a
/// change reaches the index well within a second) that re-reads each touched product from the catalog
/// and writes or removes its document. Idempotent, as outbox delivery requires: it always indexes the
/// product as it is now, never the event's payload. Starts from the first outbox row the first time,
/// so a new index (or a switch of engine, which has its own consumer) is filled from history; a
/// `catalog.loaded` event (the demo loader's bulk COPY) rebuilds the whole index.
/// </summary>
public sealed class SearchIndexer(NpgsqlDataSource db, ISearchIndex index, OutboxConsumerOptions options, ILogger<SearchIndexer> log)
    : OutboxConsumer(db, options, log)
{
    public static readonly string[] ProductTopics =
    [
        "product.created", "product.updated", "product.archived",
        "variant.created", "variant.updated", "variant.archived",
        "inventory.changed",
    ];

    public static readonly string[] CategoryTopics = ["category.created", "category.updated", "category.deleted"];

    public const string LoadedTopic = "catalog.loaded";

    public static string ConsumerNameFor(string engine) => "search-" + engine;

    public override string Name => ConsumerNameFor(index.Name);

    public override IReadOnlySet<string> Topics { get; } = new HashSet<string>([.. ProductTopics, .. CategoryTopics, LoadedTopic], StringComparer.Ordinal);

    protected override bool StartFromBeginning => true;

    protected override async Task HandleAsync(OutboxEvent e, CancellationToken ct)
    {
        if (e.Topic == LoadedTopic)
        {
            var result = await index.RebuildAsync(ct);
            log.LogInformation("Search index ({Engine}) rebuilt after {Topic}: {Documents} documents in {Seconds:F1} s",
                index.Name, e.Topic, result.Documents, result.Seconds);
            return;
        }
        if (!Guid.TryParse(e.AggregateId, out var id))
        {
            throw new OutboxEventRejectedException($"{e.Topic} event {e.Id} has aggregate id '{e.AggregateId}', not a uuid.");
        }
        if (CategoryTopics.Contains(e.Topic))
        {
            await using var conn = await Db.OpenConnectionAsync(ct);
            var products = await SearchDocuments.ProductsUnderCategoryAsync(conn, id, ct);
            for (var i = 0; i < products.Length; i += 1000)
            {
                await index.IndexProductsAsync(products[i..Math.Min(i + 1000, products.Length)], ct);
            }
            return;
        }
        await index.IndexProductsAsync([id], ct);
    }
}
