using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Imports;

/// <summary>A CSV file as received: the body itself (text/csv) or the `file` part of a form.</summary>
public sealed record CsvUpload(string Name, byte[] Content)
{
    /// <summary>Multipart framing around the file: boundaries and part headers.</summary>
    public const long FormOverhead = 64 * 1024;

    public static async Task<(CsvUpload? Upload, ProblemHttpResult? Problem)> ReadAsync(HttpContext http, long maxBytes, CancellationToken ct)
    {
        var request = http.Request;
        var mediaType = (request.ContentType ?? "").Split(';')[0].Trim();
        if (!request.HasFormContentType && !mediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Make(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
                "Send the file as the body with Content-Type text/csv, or as multipart/form-data with a `file` part."));
        }
        if (request.ContentLength > maxBytes + (request.HasFormContentType ? FormOverhead : 0))
        {
            return (null, TooLarge(maxBytes));
        }
        try
        {
            byte[] content;
            var name = "products.csv";
            if (request.HasFormContentType)
            {
                var form = await request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = maxBytes + FormOverhead, ValueCountLimit = 16 }, ct);
                var file = form.Files.GetFile("file");
                if (file is null)
                {
                    return (null, Validation("file", "Send the CSV file in a form part named `file`."));
                }
                if (file.Length > maxBytes)
                {
                    return (null, TooLarge(maxBytes));
                }
                content = new byte[file.Length];
                await using (var stream = file.OpenReadStream())
                {
                    await stream.ReadExactlyAsync(content, ct);
                }
                name = string.IsNullOrWhiteSpace(file.FileName) ? name : Path.GetFileName(file.FileName);
            }
            else
            {
                using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 64 * 1024);
                var chunk = new byte[81920];
                int read;
                while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
                {
                    if (buffer.Length + read > maxBytes)
                    {
                        return (null, TooLarge(maxBytes));
                    }
                    buffer.Write(chunk, 0, read);
                }
                content = buffer.ToArray();
            }
            if (content.Length == 0)
            {
                return (null, Validation("file", "The file is empty. Send a Shopify product CSV."));
            }
            // Sniffed, not trusted from the media type: a CSV is text, so a NUL byte in the first bytes means
            // a spreadsheet, archive or image was sent instead.
            if (content.AsSpan(0, Math.Min(content.Length, 8192)).Contains((byte)0))
            {
                return (null, Make(StatusCodes.Status415UnsupportedMediaType, "not-csv", "Not a CSV file",
                    "The file is not CSV text (it looks binary: a spreadsheet or an archive?). Export or save it as CSV UTF-8 and upload that."));
            }
            return (new CsvUpload(name.Length > 200 ? name[..200] : name, content), null);
        }
        catch (InvalidDataException)
        {
            return (null, Make(StatusCodes.Status400BadRequest, "malformed-form", "The form cannot be read",
                "Send multipart/form-data with one `file` part (the CSV)."));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(maxBytes));
        }
    }

    private static ProblemHttpResult TooLarge(long maxBytes) => Make(StatusCodes.Status413PayloadTooLarge, "file-too-large", "File too large",
        $"Product CSV files are limited to {maxBytes / (1024 * 1024.0):0.#} MB. Split the file by product (keep each product's rows together) and import the parts one after another.");
}

/// <summary>How the import's body is described in the OpenAPI document (the CSV bytes, or a form with
/// <c>file</c>); never bound. Not declared through Accepts: a route that accepts declared media types is
/// answered 415 by <see cref="Platform.Endpoints.JsonBodiesOnly"/> before authentication, and the body is
/// read by <see cref="CsvUpload"/>, which answers 415 itself.</summary>
public sealed class CsvUploadBody
{
    public sealed class MarkerType;

    public static readonly MarkerType Marker = new();

    public sealed class Describe : NSwag.Generation.Processors.IOperationProcessor
    {
        public bool Process(NSwag.Generation.Processors.Contexts.OperationProcessorContext context)
        {
            var metadata = ((NSwag.Generation.AspNetCore.AspNetCoreOperationProcessorContext)context).ApiDescription.ActionDescriptor.EndpointMetadata;
            if (!metadata.OfType<MarkerType>().Any())
            {
                return true;
            }
            var body = new NSwag.OpenApiRequestBody { IsRequired = true, Description = "The Shopify product CSV (UTF-8), or a form with the file in `file`." };
            body.Content["text/csv"] = new NSwag.OpenApiMediaType { Schema = new NJsonSchema.JsonSchema { Type = NJsonSchema.JsonObjectType.String, Format = "binary" } };
            var form = new NJsonSchema.JsonSchema { Type = NJsonSchema.JsonObjectType.Object };
            form.Properties["file"] = new NJsonSchema.JsonSchemaProperty { Type = NJsonSchema.JsonObjectType.String, Format = "binary", Description = "The CSV file." };
            form.RequiredProperties.Add("file");
            body.Content["multipart/form-data"] = new NSwag.OpenApiMediaType { Schema = form };
            context.OperationDescription.Operation.RequestBody = body;
            return true;
        }
    }
}
