using FastEndpoints;
using Headless.Api.Platform.Endpoints;
using Headless.Api.Platform.Http;
using Headless.Api.Platform.Jobs;
using Headless.Api.Platform.Outbox;
using Headless.Contracts.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Headless.Api.Features.Catalog.Imports;

/// <summary>Takes a Shopify product CSV and queues its import as a job (<see cref="ProductImportHandler"/>):
/// the answer comes before the file is read, the job reports what it finds.</summary>
public sealed class ImportProducts(NpgsqlDataSource db, IOptions<ImportOptions> options)
    : EndpointWithoutRequest<Results<Accepted<Job>, ProblemHttpResult>>
{
    public override void Configure()
    {
        Post("/imports/products");
        Group<AdminApi>();
        Policies(Platform.Security.Policies.CatalogStaff);
        Options(b => b.WithMetadata(new BodySizeLimit.Override(http =>
            http.RequestServices.GetRequiredService<IOptions<ImportOptions>>().Value.MaxFileBytes + CsvUpload.FormOverhead))
            .WithMetadata(CsvUploadBody.Marker));
        Description(b => b.WithName("ImportProducts").WithTags("Admin imports")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType));
        Summary(s =>
        {
            s.Summary = "Import products from a Shopify product CSV: answers 202 with the import job";
            s.Description = "Send the file as the body (Content-Type text/csv) or as multipart/form-data with a `file` part. " +
                "The format is Shopify's product CSV: one row per variant, rows of a product share `Handle`; the columns read are Handle, Title, Body (HTML), Vendor, Type, Tags, Published, " +
                "Option1-3 Name and Value, Variant SKU, Variant Grams, Variant Inventory Qty, Variant Price, Variant Compare At Price, Image Src, Image Position, Image Alt Text, SEO Title, SEO Description and Status " +
                "(any other column is ignored and named in the job's `result.ignoredColumns`). UTF-8 with or without BOM; prices with a decimal point in the catalog currency. " +
                "The job first validates the whole file: if any cell is bad it fails with every bad cell in `errors` (row as a spreadsheet numbers it, header = row 1, and column) and nothing is written. " +
                "Then it applies each product in its own transaction, found by Handle (the slug) and its variants by SKU; unchanged products are not written at all, so importing the same file twice changes nothing. " +
                "Variants a product no longer lists are archived; an empty Variant Inventory Qty leaves stock alone. Body (HTML) is sanitised to paragraphs, lists, emphasis, headings and https links. " +
                "Image Src URLs are stored as given and never fetched by the server. Poll GET /api/v1/admin/imports/{id}. " +
                "413 over the size limit (Headless:Imports:MaxFileBytes, default 40 MiB); 415 for another media type or a binary file; 400 for an empty file or a form without `file`.";
        });
    }

    public override async Task<Results<Accepted<Job>, ProblemHttpResult>> ExecuteAsync(CancellationToken ct)
    {
        var http = HttpContext;
        var (upload, problem) = await CsvUpload.ReadAsync(http, options.Value.MaxFileBytes, ct);
        if (upload is null)
        {
            return problem!;
        }
        var actor = Actor.From(http);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var id = await JobStore.EnqueueAsync(conn, tx, ProductImportHandler.JobKind,
            new System.Text.Json.Nodes.JsonObject { ["fileName"] = upload.Name, ["bytes"] = upload.Content.Length }, actor.Id,
            new JobFile(upload.Name, upload.Content), ct);
        await new WriteLog(conn, tx, actor).AuditAsync("product-import.queued", "job", id.ToString(), null,
            $$"""{"fileName":{{System.Text.Json.JsonSerializer.Serialize(upload.Name, Platform.Json.ApiJsonContext.Default.String)}},"bytes":{{upload.Content.Length}}}""");
        await tx.CommitAsync(ct);
        var job = await JobQueries.LoadAsync(conn, id, ProductImportHandler.JobKind, ct);
        return TypedResults.Accepted($"/api/v1/admin/imports/{id}", job!);
    }
}
