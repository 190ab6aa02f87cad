using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using FastEndpoints;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Json;
using Headless.Contracts.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Headless.Api.Features.Catalog.Changes;

/// <summary>
/// The public catalog change feed, read from the outbox. Outbox ids are handed out before commit, so a
/// reader that went by id alone could skip a row committed late. Rows are therefore ordered by the
/// writing transaction's id and only returned once every transaction that could still insert below
/// them has finished (txid below the snapshot's xmin); the cursor is (txid, id).
/// </summary>
public sealed class GetCatalogChanges(NpgsqlDataSource db)
    : Endpoint<GetCatalogChanges.Request, Results<CachedJson<CatalogChangePage>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Get("/catalog/changes");
        Group<PublicApi>();
        AllowAnonymous();
        Description(b => b.WithName("GetCatalogChanges").WithTags("Catalog").ProducesValidationProblem());
        Summary(s =>
        {
            s.Summary = "Read what changed in the catalog since a cursor";
            s.Description = "Omit `since` to read from the beginning. Keep the returned `nextCursor` and pass it as `since` to get only newer changes; poll again while `hasMore` is true. Events: product.created, product.updated, product.archived, variant.created, variant.updated, variant.archived, inventory.changed, category.created, category.updated, category.deleted, catalog.loaded.";
        });
    }

    public sealed class Request
    {
        /// <summary>The nextCursor of an earlier page; omit to start from the beginning.</summary>
        public string? Since { get; set; }
        /// <summary>Changes per page, 1-1000, default 100.</summary>
        public int? Limit { get; set; }
    }

    public override async Task<Results<CachedJson<CatalogChangePage>, ProblemHttpResult>> ExecuteAsync(Request request, CancellationToken ct)
    {
        var (since, limit) = (request.Since, request.Limit);
        var take = limit ?? 100;
        if (take is < 1 or > 1000)
        {
            return Platform.Problems.Problems.Validation("limit", "Use a limit from 1 to 1000.");
        }
        var position = FeedPosition.Start;
        if (since is not null && !FeedPosition.TryDecode(since, out position))
        {
            return Platform.Problems.Problems.Validation("since", "This cursor is not one the feed gave out. Pass a nextCursor unchanged, or omit `since` to read from the start.");
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = (await conn.QueryAsync<ChangeRow>("""
            select o.id, o.txid::text::bigint as txid, o.topic, o.aggregate_type, o.aggregate_id, o.created_at
            from outbox o
            where o.aggregate_type in ('product', 'category', 'catalog')
              and (o.txid, o.id) > (@txid::text::xid8, @id)
              and o.txid < pg_snapshot_xmin(pg_current_snapshot())
            -- the table's columns, not the bigint alias above: only they are in the outbox_txid index's order
            order by o.txid, o.id
            limit @take
            """, new { txid = position.TxId.ToString(CultureInfo.InvariantCulture), id = position.Id, take = take + 1 })).ToList();
        var changes = rows.Take(take)
            .Select(r => new CatalogChange(r.Id, r.Topic, r.AggregateType, r.AggregateId, r.CreatedAt))
            .ToList();
        var next = changes.Count == 0 ? position : new FeedPosition(rows[changes.Count - 1].TxId, rows[changes.Count - 1].Id);
        var page = new CatalogChangePage(changes, next.Encode(), rows.Count > take);
        return new CachedJson<CatalogChangePage>(
            new CachedBody(JsonSerializer.SerializeToUtf8Bytes(page, ApiJsonContext.Default.CatalogChangePage)), CacheControl.Feed);
    }

    private sealed record ChangeRow(long Id, long TxId, string Topic, string AggregateType, string AggregateId, DateTime CreatedAt);

    private readonly record struct FeedPosition(long TxId, long Id)
    {
        public static FeedPosition Start => new(0, 0);

        public string Encode() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{TxId}.{Id}"));

        public static bool TryDecode(string value, out FeedPosition position)
        {
            position = Start;
            if (value.Length > 200 || !Base64Url.IsValid(value))
            {
                return false;
            }
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(value)).Split('.');
            if (parts.Length == 2
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var txid)
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                position = new FeedPosition(txid, id);
                return true;
            }
            return false;
        }
    }
}
