using System.Security.Cryptography;
using System.Text;

namespace Headless.Api.Platform.Vaults;

/// <summary>
/// The email lookup index: HMAC-SHA256, under a key of its own per region, of the trimmed, lower-cased address.
/// Equal addresses give equal index values, so sign-in stays one indexed query, but the vault never holds the
/// address in clear, and without the key the index cannot be recomputed from a list of guessed addresses.
/// </summary>
public static class BlindIndexKey
{
    public const int Bytes = 32;

    public static byte[] Of(byte[] key, string email) =>
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(Normalise(email)));

    public static string Normalise(string email) => email.Trim().ToLowerInvariant();

    /// <summary>32 bytes from base64; null when missing or not 32 bytes.</summary>
    public static byte[]? Parse(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            return null;
        }
        var bytes = new byte[Bytes + 1];
        return Convert.TryFromBase64String(base64.Trim(), bytes, out var written) && written == Bytes ? bytes[..Bytes] : null;
    }

    /// <summary>Development's key, made once under .data/keys, readable by us only.</summary>
    public static byte[] LocalFile(string directory, string region) =>
        KeyFiles.ReadOrCreate(Path.Combine(directory, $"vault-{region}-blind-index.key"));
}

/// <summary>Key files: 32 random bytes, created with mode 0600 before a byte is written, never overwritten.</summary>
public static class KeyFiles
{
    public static byte[] ReadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            Create(path, RandomNumberGenerator.GetBytes(BlindIndexKey.Bytes));
        }
        var key = File.ReadAllBytes(path);
        if (key.Length != BlindIndexKey.Bytes)
        {
            throw new InvalidOperationException($"The key file {path} does not hold {BlindIndexKey.Bytes} bytes.");
        }
        return key;
    }

    /// <summary>Writes a new key file; when two processes race, the first file stays and the other is discarded.</summary>
    public static void Create(string path, byte[] key)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + $".{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var file = new FileStream(temp, options))
        {
            file.Write(key);
        }
        try
        {
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException)
        {
            File.Delete(temp);
        }
    }
}
