using ImageMagick;

namespace FaceSwap.Engine.Tests;

/// <summary>Photos in the HEIF family, for the codec and round-trip tests.</summary>
public static class Fixtures
{
    /// <summary>
    /// A real HEIC (HEVC, 960x684, the camera's EXIF with GPS and an sRGB ICC profile) made from demo photo 2: the
    /// codec library here cannot encode HEVC, so it was made once with libheif's heif-enc (see Fixtures/README.md).
    /// </summary>
    public static string HeicPhoto => Path.Combine(AppContext.BaseDirectory, "Fixtures", "sample2-960.heic");

    /// <summary>An AVIF of an encoded image, made with the codec library (Magick.NET encodes AV1 through libaom).</summary>
    public static byte[] Avif(byte[] image, int quality = 80)
    {
        using var magick = new MagickImage(image) { Quality = (uint)quality };
        return magick.ToByteArray(MagickFormat.Avif);
    }
}
