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
/// <para>2. Apply product by product, each in its own transaction (<see cref="ProductImport"/>): upsert by
/// handle and SKU, audited, with outbox events so caches, search and the storefront follow. A product
/// whose fields already match writes nothing (no version bump, no event), so importing the same file
/// again changes nothing. Cancelling stops between products; each product is complete or untouched.</para>
/// <para>Resumable: the apply is idempotent, so a job whose instance died runs again from the start.</para>
/// </summary>
public sealed class ProductImportHandler(NpgsqlDataSource db, CatalogCache cache, IOptions<CatalogOptions> catalog, ILogger<ProductImportHandler> log)
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
        foreach (var product in file.Products)
        {
            if (context.CancellationRequested)
            {
                break;
            }
            try
            {
                var (outcome, id) = await ProductImport.ApplyAsync(db, actor, product, currency, ct);
                counts[outcome]++;
                if (outcome != ImportOutcome.Unchanged)
                {
                    cache.InvalidateProduct(id);
                }
                await context.ReportAsync(1, ct: ct);
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
            result["created"] = counts[ImportOutcome.Created];
            result["updated"] = counts[ImportOutcome.Updated];
            result["unchanged"] = counts[ImportOutcome.Unchanged];
        }
        result["created"] = counts[ImportOutcome.Created];
        result["updated"] = counts[ImportOutcome.Updated];
        result["unchanged"] = counts[ImportOutcome.Unchanged];
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
