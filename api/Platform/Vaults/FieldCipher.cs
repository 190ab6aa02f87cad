using System.Security.Cryptography;
using System.Text;

namespace Headless.Api.Platform.Vaults;

/// <summary>
/// AES-256-GCM over one value, in a versioned layout: `[1 byte version = 1][12 byte nonce][16 byte tag][ciphertext]`.
/// Every value gets a fresh random nonce. The associated data names what the value is (for a field: the person and
/// the field name), so a ciphertext copied to another field or person fails to decrypt instead of being read as it.
/// </summary>
public static class FieldCipher
{
    public const byte Version1 = 1;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const int Header = 1 + NonceBytes + TagBytes;

    public static byte[] Encrypt(byte[] key, byte[] plaintext, byte[] associatedData)
    {
        var output = new byte[Header + plaintext.Length];
        output[0] = Version1;
        var nonce = output.AsSpan(1, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagBytes);
        aes.Encrypt(nonce, plaintext, output.AsSpan(Header), output.AsSpan(1 + NonceBytes, TagBytes), associatedData);
        return output;
    }

    /// <exception cref="CryptographicException">Wrong key, wrong associated data, altered bytes or an unknown layout.</exception>
    public static byte[] Decrypt(byte[] key, byte[] value, byte[] associatedData)
    {
        if (value.Length < Header || value[0] != Version1)
        {
            throw new CryptographicException("Not a vault ciphertext of a known layout.");
        }
        var plaintext = new byte[value.Length - Header];
        using var aes = new AesGcm(key, TagBytes);
        aes.Decrypt(value.AsSpan(1, NonceBytes), value.AsSpan(Header), value.AsSpan(1 + NonceBytes, TagBytes), plaintext, associatedData);
        return plaintext;
    }

    /// <summary>What a field's ciphertext is bound to.</summary>
    public static byte[] FieldContext(Guid person, string field) => Encoding.UTF8.GetBytes($"headless-vault-field/v1|{person:N}|{field}");

    /// <summary>What a wrapped data key is bound to.</summary>
    public static byte[] DataKeyContext(string region, Guid person) => Encoding.UTF8.GetBytes($"headless-vault-data-key/v1|{region}|{person:N}");
}
