using System.Xml.Linq;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Headless.Api.Platform.Hosting;

/// <summary>
/// Wraps each data-protection key with AWS KMS: the key's secret XML goes to KMS `Encrypt` under
/// `Headless:DataProtection:KmsKeyId` and only the ciphertext is stored; reading the ring calls `Decrypt`. The
/// KMS key never leaves KMS, so a database dump (or a stolen backup) holds no usable key, and access is what
/// the task role's IAM policy and the key policy allow, with every use in CloudTrail. The encryption context
/// binds each ciphertext to this purpose: a blob from another application using the same KMS key does not
/// decrypt here. A key's XML is a few hundred bytes, well under Encrypt's 4 KiB limit, so no envelope is needed.
/// </summary>
public sealed class KmsXmlEncryptor(IAmazonKeyManagementService kms, string keyId) : IXmlEncryptor
{
    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        using var plaintext = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting)));
        // IXmlEncryptor is synchronous; this runs once per new key (every 90 days), never on a request's path.
        var response = kms.EncryptAsync(new EncryptRequest
        {
            KeyId = keyId,
            Plaintext = plaintext,
            EncryptionContext = KmsXmlDecryptor.Context,
        }).GetAwaiter().GetResult();
        var element = new XElement(KmsXmlDecryptor.ElementName,
            new XAttribute("keyId", response.KeyId ?? keyId),
            new XComment(" This key is wrapped by AWS KMS; only KMS Decrypt with that key can read it. "),
            new XElement("value", Convert.ToBase64String(response.CiphertextBlob.ToArray())));
        return new EncryptedXmlInfo(element, typeof(KmsXmlDecryptor));
    }
}

/// <summary>Reads a key wrapped by <see cref="KmsXmlEncryptor"/>. Data protection creates it by type name with the
/// application's services, so it finds the KMS client there.</summary>
public sealed class KmsXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public const string ElementName = "kmsEncryptedKey";

    public static Dictionary<string, string> Context => new() { ["purpose"] = "headless-data-protection-key" };

    public XElement Decrypt(XElement encryptedElement)
    {
        var kms = services.GetService(typeof(IAmazonKeyManagementService)) as IAmazonKeyManagementService
            ?? throw new InvalidOperationException("A data-protection key is wrapped by KMS but Headless__DataProtection__KmsKeyId is not configured.");
        var keyId = (string?)encryptedElement.Attribute("keyId");
        var blob = Convert.FromBase64String((string?)encryptedElement.Element("value") ?? "");
        var response = kms.DecryptAsync(new DecryptRequest
        {
            CiphertextBlob = new MemoryStream(blob),
            KeyId = keyId,
            EncryptionContext = Context,
        }).GetAwaiter().GetResult();
        return XElement.Parse(System.Text.Encoding.UTF8.GetString(response.Plaintext.ToArray()));
    }
}
