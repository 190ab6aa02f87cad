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
/// <para>Product events are collected over a round and written at its end, one statement per batch of
/// products, not one per event. A stock change (`inventory.changed`, one per product per checkout) can
/// only move the in-stock flag, so those products go to <see cref="ISearchIndex.IndexStockAsync"/>, which
/// writes only the documents whose flag flipped: most checkouts change no document at all. If a batch
/// fails, the events are read again and handled one by one, so the one that fails gets the consumer's
/// per-event retries and, in the end, its dead-letter row instead of holding the index back.</para>
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

    private const int BatchSize = 1000;

    private readonly HashSet<Guid> _changed = [];
    private readonly HashSet<Guid> _stockChanged = [];
    private bool _oneByOne;
    private bool _failedOneByOne;

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
            for (var i = 0; i < products.Length; i += BatchSize)
            {
                await index.IndexProductsAsync(products[i..Math.Min(i + BatchSize, products.Length)], ct);
            }
            return;
        }
        var stockOnly = e.Topic == "inventory.changed";
        if (_oneByOne)
        {
            try
            {
                await (stockOnly ? index.IndexStockAsync([id], ct) : index.IndexProductsAsync([id], ct));
            }
            catch
            {
                _failedOneByOne = true;
                throw;
            }
            return;
        }
        (stockOnly ? _stockChanged : _changed).Add(id);
    }

    protected override async Task EndRoundAsync(CancellationToken ct)
    {
        try
        {
            // A product with other changes is indexed in full, its stock included.
            _stockChanged.ExceptWith(_changed);
            foreach (var batch in _changed.Chunk(BatchSize))
            {
                await index.IndexProductsAsync(batch, ct);
            }
            foreach (var batch in _stockChanged.Chunk(BatchSize))
            {
                await index.IndexStockAsync(batch, ct);
            }
            _oneByOne = _oneByOne && _failedOneByOne;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && !_oneByOne)
        {
            log.LogWarning("Search index ({Engine}): a batch of {Products} products failed ({Error}); reading those events again one by one",
                index.Name, _changed.Count + _stockChanged.Count, OutboxErrors.Describe(ex));
            _oneByOne = true;
            throw;
        }
        finally
        {
            _changed.Clear();
            _stockChanged.Clear();
            _failedOneByOne = false;
        }
    }
}
