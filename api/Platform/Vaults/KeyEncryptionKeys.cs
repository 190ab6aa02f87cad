using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;

namespace Headless.Api.Platform.Vaults;

/// <summary>One kind of key-encryption key (KEK): it wraps and unwraps people's data keys and never hands out
/// its own key. A KEK version in the vault names its provider and a reference the provider understands.</summary>
public interface IKeyEncryptionKeyProvider
{
    /// <summary>"file" or "kms", as stored in vault_kek_versions.provider.</summary>
    string Name { get; }

    /// <summary>Makes (or names) a new KEK and returns its reference.</summary>
    Task<string> CreateAsync(CancellationToken ct);

    Task<byte[]> WrapAsync(string keyRef, byte[] dataKey, byte[] context, CancellationToken ct);

    /// <exception cref="CryptographicException">The wrapped key was altered, or belongs to another person or KEK.</exception>
    Task<byte[]> UnwrapAsync(string keyRef, byte[] wrapped, byte[] context, CancellationToken ct);

    /// <summary>False when this provider knows, without a call to anyone, that the key cannot be used (a key file
    /// that is not there); a remote key service answers for itself on use.</summary>
    bool IsPresent(string keyRef);
}

/// <summary>A KEK the vault's rows refer to is not where its provider keeps it (an operator fault: a key file not
/// mounted or deleted). Personal-data routes answer 503 and /health/ready names it until it is put back.</summary>
public sealed class KeyEncryptionKeyMissingException(string message) : Exception(message);

/// <summary>
/// KEKs as key files of 32 random bytes in one folder (`.data/keys` in Development; a mounted secret folder in
/// production), mode 0600, one file per KEK version, named by a random id rather than the version so that
/// several vaults (test databases) can share the folder. Wrapping is AES-256-GCM bound to the region and person.
/// </summary>
public sealed class KeyFileProvider(string directory, string region) : IKeyEncryptionKeyProvider
{
    public const string ProviderName = "file";
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    public string Name => ProviderName;

    public Task<string> CreateAsync(CancellationToken ct)
    {
        var keyRef = $"vault-{region}-kek-{Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant()}.key";
        KeyFiles.Create(Path.Combine(directory, keyRef), RandomNumberGenerator.GetBytes(32));
        return Task.FromResult(keyRef);
    }

    public Task<byte[]> WrapAsync(string keyRef, byte[] dataKey, byte[] context, CancellationToken ct) =>
        Task.FromResult(FieldCipher.Encrypt(Key(keyRef), dataKey, context));

    public Task<byte[]> UnwrapAsync(string keyRef, byte[] wrapped, byte[] context, CancellationToken ct) =>
        Task.FromResult(FieldCipher.Decrypt(Key(keyRef), wrapped, context));

    private byte[] Key(string keyRef) => _keys.GetOrAdd(keyRef, r =>
    {
        // References come from our own table, but never let one climb out of the folder.
        if (Path.GetFileName(r) != r)
        {
            throw new CryptographicException("Not a key file name.");
        }
        var path = Path.Combine(directory, r);
        if (!File.Exists(path))
        {
            throw new KeyEncryptionKeyMissingException($"The key-encryption key file {r} is missing from {directory}.");
        }
        return KeyFiles.ReadOrCreate(path);
    });

    public bool IsPresent(string keyRef) =>
        _keys.ContainsKey(keyRef) || (Path.GetFileName(keyRef) == keyRef && File.Exists(Path.Combine(directory, keyRef)));
}

/// <summary>
/// KEKs in AWS KMS: the data key goes to KMS `Encrypt` under the configured key and comes back from `Decrypt`; the KEK
/// never leaves KMS and every unwrap is in CloudTrail. The encryption context binds each wrapped key to its region and
/// person, as the file provider's associated data does. A new version is the key configured now (after the operator
/// points `KmsKeyId` at a new key; re-wrapping under the same key also moves it to KMS's current backing key).
/// </summary>
public sealed class KmsProvider(IAmazonKeyManagementService kms, string keyId) : IKeyEncryptionKeyProvider
{
    public const string ProviderName = "kms";

    public string Name => ProviderName;

    public Task<string> CreateAsync(CancellationToken ct) => Task.FromResult(keyId);

    public bool IsPresent(string keyRef) => true;

    public async Task<byte[]> WrapAsync(string keyRef, byte[] dataKey, byte[] context, CancellationToken ct)
    {
        var response = await kms.EncryptAsync(new EncryptRequest
        {
            KeyId = keyRef,
            Plaintext = new MemoryStream(dataKey),
            EncryptionContext = Context(context),
        }, ct);
        return response.CiphertextBlob.ToArray();
    }

    public async Task<byte[]> UnwrapAsync(string keyRef, byte[] wrapped, byte[] context, CancellationToken ct)
    {
        try
        {
            var response = await kms.DecryptAsync(new DecryptRequest
            {
                KeyId = keyRef,
                CiphertextBlob = new MemoryStream(wrapped),
                EncryptionContext = Context(context),
            }, ct);
            return response.Plaintext.ToArray();
        }
        catch (InvalidCiphertextException e)
        {
            throw new CryptographicException("KMS refused to unwrap the data key.", e);
        }
    }

    private static Dictionary<string, string> Context(byte[] context) => new()
    {
        ["purpose"] = "headless-vault-data-key",
        ["binding"] = System.Text.Encoding.UTF8.GetString(context),
    };

    public static AmazonKeyManagementServiceClient Client(string? serviceUrl)
    {
        var config = new AmazonKeyManagementServiceConfig();
        if (!string.IsNullOrWhiteSpace(serviceUrl))
        {
            config.ServiceURL = serviceUrl;
        }
        return new AmazonKeyManagementServiceClient(config);
    }
}
