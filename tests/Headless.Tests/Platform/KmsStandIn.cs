using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Headless.Tests.Platform;

/// <summary>
/// A stand-in for AWS KMS on 127.0.0.1 (no KMS can run here), speaking its real wire format so the real
/// AWSSDK.KeyManagementService client talks to it unchanged: AWS JSON 1.1, `POST /` with
/// `X-Amz-Target: TrentService.Encrypt|Decrypt`, `Content-Type: application/x-amz-json-1.1`, blobs in base64,
/// errors as `{"__type": "...Exception", "message": ...}` with status 400. Requests must carry a SigV4
/// `Authorization` header scoped to the kms service (the signature itself is not recomputed). One symmetric
/// key, AES-256-GCM; the encryption context is bound as associated data, as KMS binds it.
/// </summary>
public sealed partial class KmsStandIn : IAsyncDisposable
{
    public const string Region = "eu-west-1";
    public const string KeyArn = "arn:aws:kms:eu-west-1:111122223333:key/0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6";
    public const string Alias = "alias/headless-data-protection";

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly WebApplication _app;

    public record Call(string Target, string? Authorization, string? ContentType, string? AmzDate);

    public ConcurrentQueue<Call> Calls { get; } = new();

    public string Url { get; private set; } = "";

    private KmsStandIn()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/", HandleAsync);
    }

    public static async Task<KmsStandIn> StartAsync()
    {
        var kms = new KmsStandIn();
        await kms._app.StartAsync();
        kms.Url = kms._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return kms;
    }

    private async Task HandleAsync(HttpContext http)
    {
        var target = http.Request.Headers["X-Amz-Target"].ToString();
        var authorization = http.Request.Headers.Authorization.ToString();
        Calls.Enqueue(new Call(target, authorization, http.Request.ContentType, http.Request.Headers["X-Amz-Date"].ToString()));
        if (!SigV4().IsMatch(authorization) || string.IsNullOrEmpty(http.Request.Headers["X-Amz-Date"]))
        {
            await ErrorAsync(http, "IncompleteSignatureException", "The request must be signed with AWS Signature Version 4 for the kms service.");
            return;
        }
        if (http.Request.ContentType != "application/x-amz-json-1.1")
        {
            await ErrorAsync(http, "SerializationException", "Content-Type must be application/x-amz-json-1.1.");
            return;
        }
        var body = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
        var context = Canonical(body["EncryptionContext"] as JsonObject);
        switch (target)
        {
            case "TrentService.Encrypt":
                if (!IsOurKey((string?)body["KeyId"]))
                {
                    await ErrorAsync(http, "NotFoundException", $"Key '{(string?)body["KeyId"]}' does not exist");
                    return;
                }
                var plaintext = Convert.FromBase64String((string)body["Plaintext"]!);
                var nonce = RandomNumberGenerator.GetBytes(12);
                var tag = new byte[16];
                var ciphertext = new byte[plaintext.Length];
                using (var aes = new AesGcm(_key, 16))
                {
                    aes.Encrypt(nonce, plaintext, ciphertext, tag, context);
                }
                await AnswerAsync(http, new JsonObject
                {
                    ["CiphertextBlob"] = Convert.ToBase64String([.. nonce, .. tag, .. ciphertext]),
                    ["KeyId"] = KeyArn,
                    ["EncryptionAlgorithm"] = "SYMMETRIC_DEFAULT",
                });
                return;
            case "TrentService.Decrypt":
                if (body["KeyId"] is not null && !IsOurKey((string?)body["KeyId"]))
                {
                    await ErrorAsync(http, "IncorrectKeyException", "The key ID in the request does not identify the KMS key that encrypted the ciphertext.");
                    return;
                }
                var blob = Convert.FromBase64String((string)body["CiphertextBlob"]!);
                try
                {
                    var decrypted = new byte[blob.Length - 28];
                    using var aes = new AesGcm(_key, 16);
                    aes.Decrypt(blob[..12], blob[28..], blob[12..28], decrypted, context);
                    await AnswerAsync(http, new JsonObject
                    {
                        ["Plaintext"] = Convert.ToBase64String(decrypted),
                        ["KeyId"] = KeyArn,
                        ["EncryptionAlgorithm"] = "SYMMETRIC_DEFAULT",
                    });
                }
                catch (Exception e) when (e is CryptographicException or OverflowException or ArgumentException)
                {
                    await ErrorAsync(http, "InvalidCiphertextException", null);
                }
                return;
            default:
                await ErrorAsync(http, "UnknownOperationException", null);
                return;
        }
    }

    private static bool IsOurKey(string? id) => id is KeyArn or Alias || id == KeyArn[(KeyArn.LastIndexOf('/') + 1)..];

    /// <summary>KMS binds the context's pairs, not their order.</summary>
    private static byte[] Canonical(JsonObject? context) => Encoding.UTF8.GetBytes(string.Join("\n",
        (context ?? []).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={(string?)p.Value}")));

    private static Task AnswerAsync(HttpContext http, JsonObject body)
    {
        http.Response.ContentType = "application/x-amz-json-1.1";
        return http.Response.WriteAsync(body.ToJsonString());
    }

    private static Task ErrorAsync(HttpContext http, string type, string? message)
    {
        http.Response.StatusCode = StatusCodes.Status400BadRequest;
        http.Response.ContentType = "application/x-amz-json-1.1";
        return http.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string?> { ["__type"] = type, ["message"] = message }));
    }

    [GeneratedRegex(@"^AWS4-HMAC-SHA256 Credential=[^/\s]+/\d{8}/[a-z0-9-]+/kms/aws4_request, ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]{64}$")]
    private static partial Regex SigV4();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
