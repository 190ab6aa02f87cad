using System.Text.Json.Nodes;
using Dapper;
using Headless.Api.Platform.Caching;
using Headless.Api.Platform.Jobs;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Features.Catalog.Imports;

/// <summary>
/// Runs a product CSV import queued by <see cref="ImportProducts"/>. Two phases:
/// <para>1. Validate the whole file (<see cref="ProductCsvReader"/>, then the database: a SKU that already
/// belongs to a product with another handle). Any bad cell fails the job with every bad cell listed and
/// nothing written.</para>
/// <para>2. Apply in chunks of products, each chunk in one transaction (<see cref="ProductImport"/>): upsert
/// by handle and SKU, audited, with outbox events so caches, search and the storefront follow. A product
/// whose fields already match writes nothing (no version bump, no event), so importing the same file
/// again changes nothing. When the database refuses one product of a chunk, the chunk rolls back and its
/// products are applied again one transaction each, so the refusal costs only that product: each product
/// is complete or untouched. Cancelling stops between chunks.</para>
/// <para>Resumable: the apply is idempotent, so a job whose instance died runs again from the start.</para>
/// </summary>
public sealed class ProductImportHandler(NpgsqlDataSource db, CatalogCache cache, IOptions<CatalogOptions> catalog, IOptions<ImportOptions> options,
    ILogger<ProductImportHandler> log)
    : IJobHandler
{
    public const string JobKind = "product-import";

    public string Kind => JobKind;

    public bool Resumable => true;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var content = await context.ReadFileAsync(ct) ?? throw new JobFailedException("The uploaded file is missing. Upload it again.");
        var currency = catalog.Value.Currency;
        var file = new ProductCsvReader(currency).Read(content);
        var result = new JsonObject
        {
            ["rows"] = file.Rows,
            ["products"] = file.Products.Count,
            ["variants"] = file.VariantCount,
            ["ignoredColumns"] = new JsonArray([.. file.IgnoredColumns.Select(c => JsonValue.Create(c))]),
        };
        context.Result = result;
        var errors = file.Errors;
        if (errors.Count == 0)
        {
            errors = await SkusOfOtherProductsAsync(file, ct);
        }
        if (errors.Count > 0)
        {
            foreach (var error in errors)
            {
                context.AddError(error);
            }
            throw new JobFailedException($"The file has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}; nothing was imported. Fix the cells listed and import it again.");
        }

        context.SetTotal(file.Products.Count);
        var counts = new Dictionary<ImportOutcome, int> { [ImportOutcome.Created] = 0, [ImportOutcome.Updated] = 0, [ImportOutcome.Unchanged] = 0 };
        var actor = new Actor(context.CreatedBy, null, System.Diagnostics.Activity.Current?.TraceId.ToString());
        foreach (var chunk in file.Products.Chunk(Math.Max(1, options.Value.ProductsPerTransaction)))
        {
            if (context.CancellationRequested)
            {
                break;
            }
            var applied = await TryApplyAsync(chunk, actor, currency, ct);
            if (applied is null)
            {
                applied = [];
                foreach (var product in chunk)
                {
                    if (await ApplyAloneAsync(context, product, actor, currency, ct) is { } one)
                    {
                        applied.Add(one);
                    }
                }
            }
            else
            {
                await context.ReportAsync(chunk.Length, ct: ct);
            }
            foreach (var (outcome, id) in applied)
            {
                counts[outcome]++;
                if (outcome != ImportOutcome.Unchanged)
                {
                    cache.InvalidateProduct(id);
                }
            }
            result["created"] = counts[ImportOutcome.Created];
            result["updated"] = counts[ImportOutcome.Updated];
            result["unchanged"] = counts[ImportOutcome.Unchanged];
        }
        result["created"] = counts[ImportOutcome.Created];
        result["updated"] = counts[ImportOutcome.Updated];
        result["unchanged"] = counts[ImportOutcome.Unchanged];
    }

    /// <summary>The chunk in one transaction; null (and nothing written) when the database refused a product of it.</summary>
    private async Task<List<(ImportOutcome, Guid)>?> TryApplyAsync(ImportedProduct[] chunk, Actor actor, string currency, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var applied = new List<(ImportOutcome, Guid)>(chunk.Length);
        try
        {
            foreach (var product in chunk)
            {
                applied.Add(await ProductImport.ApplyAsync(conn, tx, actor, product, currency, ct));
            }
            await tx.CommitAsync(ct);
            return applied;
        }
        catch (Exception ex) when (chunk.Length > 1 && ex is ProductImportConflict or PostgresException { SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.CheckViolation })
        {
            await tx.RollbackAsync(ct);
            return null;
        }
    }

    /// <summary>One product in its own transaction; a refusal is reported as the product's error.</summary>
    private async Task<(ImportOutcome, Guid)?> ApplyAloneAsync(JobContext context, ImportedProduct product, Actor actor, string currency, CancellationToken ct)
    {
        try
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            var applied = await ProductImport.ApplyAsync(conn, tx, actor, product, currency, ct);
            await tx.CommitAsync(ct);
            await context.ReportAsync(1, ct: ct);
            return applied;
        }
        catch (ProductImportConflict conflict)
        {
            await context.ReportAsync(0, 1, [new JobError(conflict.Row, conflict.Column, product.Handle, conflict.Message)], ct);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.CheckViolation)
        {
            log.LogWarning("Import {JobId}: product at row {Row} refused by the database ({SqlState})", context.JobId, product.Row, ex.SqlState);
            await context.ReportAsync(0, 1, [new JobError(product.Row, null, product.Handle,
                "This product changed while the import ran (a SKU or handle was taken, or stock was reserved). It was left as it was; import the file again.")], ct);
        }
        return null;
    }

    /// <summary>SKUs of the file that the catalog already has under a product with another handle.</summary>
    private async Task<List<JobError>> SkusOfOtherProductsAsync(ImportFile file, CancellationToken ct)
    {
        var bySku = file.Products.SelectMany(p => p.Variants.Select(v => (p.Handle, Variant: v))).ToDictionary(x => x.Variant.Sku, StringComparer.Ordinal);
        await using var conn = await db.OpenConnectionAsync(ct);
        var owners = await conn.QueryAsync<(string Sku, string Slug)>(new CommandDefinition("""
            select v.sku, p.slug from variants v join products p on p.id = v.product_id where v.sku = any(@skus)
            """, new { skus = bySku.Keys.ToArray() }, cancellationToken: ct));
        return [.. owners.Where(o => bySku[o.Sku].Handle != o.Slug)
            .Select(o => (bySku[o.Sku], o.Slug))
            .OrderBy(x => x.Item1.Variant.Row)
            .Select(x => new JobError(x.Item1.Variant.Row, ShopifyColumns.Sku, x.Item1.Handle,
                $"The SKU {x.Item1.Variant.Sku} already belongs to the product \"{x.Slug}\". A SKU belongs to one product: use another SKU, or this row's handle \"{x.Slug}\"."))];
    }
}
