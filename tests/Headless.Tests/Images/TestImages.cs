using NetVips;

namespace Headless.Tests.Images;

/// <summary>Images made with libvips for the tests: nothing binary is committed.</summary>
public static class TestImages
{
    /// <summary>A photo-like RGB picture: gradients, waves and a little noise, so encoders have real work.</summary>
    public static Image Photo(int width, int height, int seed = 1)
    {
        var xyz = Image.Xyz(width, height);
        var (x, y) = (xyz[0], xyz[1]);
        var r = (x / (37.0 + seed)).Math(Enums.OperationMath.Sin) * 60 + 120 + y / (height / 60.0);
        var g = (y / (29.0 + seed)).Math(Enums.OperationMath.Cos) * 50 + 100 + x / (width / 80.0);
        var b = ((x + y) / (53.0 + seed)).Math(Enums.OperationMath.Sin) * 70 + 110;
        return (r.Bandjoin(g, b) + Image.Gaussnoise(width, height, sigma: 8)).Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
    }

    /// <summary>A JPEG as a phone writes it: stored sideways with EXIF orientation 6 (rotate 90° to show), an
    /// artist and a GPS position in its EXIF.</summary>
    public static byte[] PhoneJpeg(int storedWidth = 1600, int storedHeight = 1200)
    {
        var image = Photo(storedWidth, storedHeight).Mutate(m =>
        {
            m.Set(GValue.GIntType, "orientation", 6);
            m.Set(GValue.GStrType, "exif-ifd0-Artist", "Ada Secretperson");
            m.Set(GValue.GStrType, "exif-ifd3-GPSLatitudeRef", "N");
            m.Set(GValue.GStrType, "exif-ifd3-GPSLatitude", "48/1 51/1 2999/100");
        });
        return image.JpegsaveBuffer(q: 90);
    }

    /// <summary>A PNG with transparency.</summary>
    public static byte[] TransparentPng(int width = 700, int height = 500)
    {
        var alpha = (Image.Xyz(width, height)[0] / (double)width * 255).Cast(Enums.BandFormat.Uchar);
        return Photo(width, height, 3).Bandjoin(alpha).Copy(interpretation: Enums.Interpretation.Srgb).PngsaveBuffer();
    }

    public static byte[] Webp(int width = 1000, int height = 1000) => Photo(width, height, 5).WebpsaveBuffer(q: 80);

    /// <summary>A few hundred KB of PNG declaring 20,000 × 20,000 pixels (400 megapixels): all one colour, one bit a pixel.</summary>
    public static byte[] DecompressionBomb() =>
        Image.Black(20_000, 20_000).Cast(Enums.BandFormat.Uchar).PngsaveBuffer(compression: 9, bitdepth: 1);

    /// <summary>An animated WebP of three frames.</summary>
    public static byte[] AnimatedWebp()
    {
        var frames = Image.Arrayjoin([Photo(120, 120), Photo(120, 120, 2), Photo(120, 120, 3)], across: 1);
        return frames.Mutate(m =>
        {
            m.Set(GValue.GIntType, "page-height", 120);
            m.Set(GValue.ArrayIntType, "delay", new[] { 100, 100, 100 });
        }).WebpsaveBuffer();
    }

    /// <summary>How libvips reads the file: its loader, size, whether any EXIF tag names a person or a place
    /// (artist, GPS), and its EXIF orientation (1 when none: a browser must not turn it again).</summary>
    public static (string Loader, int Width, int Height, bool HasPrivateExif, int Orientation) Describe(byte[] file)
    {
        using var image = Image.NewFromBuffer(file);
        var fields = image.GetFields();
        var privateExif = fields.Any(f => f.StartsWith("exif-ifd3-", StringComparison.Ordinal) || f == "exif-ifd0-Artist");
        var orientation = fields.Contains("orientation") ? (int)image.Get("orientation") : 1;
        return ((string)image.Get("vips-loader"), image.Width, image.Height, privateExif, orientation);
    }
}
