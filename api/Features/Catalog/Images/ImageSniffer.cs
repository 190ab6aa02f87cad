namespace Headless.Api.Features.Catalog.Images;

public enum ImageKind
{
    Jpeg,
    Png,
    Webp,
}

/// <summary>What an upload is, from its first bytes: the declared type (Content-Type, file name) is only
/// checked against it, never trusted.</summary>
public static class ImageSniffer
{
    public static ImageKind? Sniff(ReadOnlySpan<byte> content)
    {
        if (content.Length >= 3 && content[0] == 0xFF && content[1] == 0xD8 && content[2] == 0xFF)
        {
            return ImageKind.Jpeg;
        }
        if (content.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return ImageKind.Png;
        }
        if (content.Length >= 12 && content[..4].SequenceEqual("RIFF"u8) && content[8..12].SequenceEqual("WEBP"u8))
        {
            return ImageKind.Webp;
        }
        return null;
    }

    /// <summary>The kind a media type names; null for any other type.</summary>
    public static ImageKind? FromMediaType(string? mediaType) => mediaType?.Split(';')[0].Trim().ToLowerInvariant() switch
    {
        "image/jpeg" or "image/jpg" or "image/pjpeg" => ImageKind.Jpeg,
        "image/png" => ImageKind.Png,
        "image/webp" => ImageKind.Webp,
        _ => null,
    };

    public static string MediaType(ImageKind kind) => kind switch
    {
        ImageKind.Jpeg => "image/jpeg",
        ImageKind.Png => "image/png",
        _ => "image/webp",
    };
}
