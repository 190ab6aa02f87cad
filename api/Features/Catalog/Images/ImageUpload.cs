using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using NJsonSchema;
using NSwag;
using NSwag.Generation.AspNetCore;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;
using static Headless.Api.Platform.Problems.Problems;

namespace Headless.Api.Features.Catalog.Images;

/// <summary>An upload as received: its bytes, the type it was declared as, and its alt text.</summary>
public sealed record ImageUpload(byte[] Content, ImageKind? DeclaredKind, string Alt)
{
    /// <summary>Reads the image body or the form's <c>file</c> part, at most <paramref name="maxBytes"/> of it.</summary>
    public static async Task<(ImageUpload? Upload, ProblemHttpResult? Problem)> ReadAsync(HttpContext http, string? alt, long maxBytes, CancellationToken ct)
    {
        var request = http.Request;
        if (request.ContentLength > maxBytes + (request.HasFormContentType ? 64 * 1024 : 0))
        {
            return (null, TooLarge(maxBytes));
        }
        try
        {
            if (request.HasFormContentType)
            {
                var form = await request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = maxBytes + 64 * 1024, ValueCountLimit = 16 }, ct);
                var file = form.Files.GetFile("file");
                if (file is null)
                {
                    return (null, Validation("file", "Send the image in a form part named `file`."));
                }
                if (file.Length > maxBytes)
                {
                    return (null, TooLarge(maxBytes));
                }
                var content = new byte[file.Length];
                await using (var stream = file.OpenReadStream())
                {
                    await stream.ReadExactlyAsync(content, ct);
                }
                // A form part without a Content-Type (or a generic one) declares nothing; the sniffer decides.
                var declared = ImageSniffer.FromMediaType(file.ContentType);
                if (declared is null && !string.IsNullOrEmpty(file.ContentType) && file.ContentType != "application/octet-stream")
                {
                    return (null, UnsupportedDeclared(file.ContentType));
                }
                return (new ImageUpload(content, declared, (form["alt"].ToString() ?? "").Trim()), null);
            }
            var declaredKind = ImageSniffer.FromMediaType(request.ContentType);
            if (declaredKind is null && !string.IsNullOrEmpty(request.ContentType) && !request.ContentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase))
            {
                return (null, UnsupportedDeclared(request.ContentType.Split(';')[0]));
            }
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
            return (new ImageUpload(buffer.ToArray(), declaredKind, (alt ?? "").Trim()), null);
        }
        catch (InvalidDataException)
        {
            // A form over its limits or with broken framing.
            return (null, Make(StatusCodes.Status400BadRequest, "malformed-form", "The form cannot be read",
                "Send multipart/form-data with one `file` part (the image) and an optional `alt` field."));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(maxBytes));
        }
    }

    private static ProblemHttpResult TooLarge(long maxBytes) => Make(StatusCodes.Status413PayloadTooLarge, "image-too-large", "Image too large",
        $"Images are limited to {maxBytes / (1024 * 1024.0):0.#} MB. Send a smaller file.");

    private static ProblemHttpResult UnsupportedDeclared(string type) => Make(StatusCodes.Status415UnsupportedMediaType, "unsupported-image-type",
        "Not a JPEG, PNG or WebP image", $"The file was sent as {type}. Upload a JPEG, PNG or WebP image.");
}

/// <summary>How the upload's body is described in the OpenAPI document (the image bytes, or a form with
/// <c>file</c> and <c>alt</c>); never bound.</summary>
public sealed class ImageUploadBody
{
    public sealed class MarkerType;

    public static readonly MarkerType Marker = new();

    /// <summary>Replaces what NSwag infers with the bytes per image type and the form's two fields.</summary>
    public sealed class Describe : IOperationProcessor
    {
        public bool Process(OperationProcessorContext context)
        {
            var metadata = ((AspNetCoreOperationProcessorContext)context).ApiDescription.ActionDescriptor.EndpointMetadata;
            if (!metadata.OfType<MarkerType>().Any())
            {
                return true;
            }
            var body = new OpenApiRequestBody { IsRequired = true, Description = "The image (JPEG, PNG or WebP), or a form with the image in `file` and its alt text in `alt`." };
            foreach (var type in new[] { "image/jpeg", "image/png", "image/webp" })
            {
                body.Content[type] = new OpenApiMediaType { Schema = new JsonSchema { Type = JsonObjectType.String, Format = "binary" } };
            }
            var form = new JsonSchema { Type = JsonObjectType.Object };
            form.Properties["file"] = new JsonSchemaProperty { Type = JsonObjectType.String, Format = "binary", Description = "The image." };
            form.Properties["alt"] = new JsonSchemaProperty { Type = JsonObjectType.String, MaxLength = ProductImageWrites.MaxAltLength, Description = "Alt text." };
            form.RequiredProperties.Add("file");
            body.Content["multipart/form-data"] = new OpenApiMediaType { Schema = form };
            var operation = context.OperationDescription.Operation;
            operation.RequestBody = body;
            // `?alt=` (for raw bodies, told in the description) would clash with the form's `alt` in generated clients.
            foreach (var alt in operation.Parameters.Where(p => p.Kind == OpenApiParameterKind.Query && p.Name == "alt").ToList())
            {
                operation.Parameters.Remove(alt);
            }
            return true;
        }
    }
}
