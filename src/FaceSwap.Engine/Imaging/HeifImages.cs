using ImageMagick;
using OpenCvSharp;

namespace FaceSwap.Engine.Imaging;

/// <summary>
/// HEIC/HEIF and AVIF, which SkiaSharp does not read, through Magick.NET (ImageMagick with libheif, libde265 and dav1d
/// in its native build; the choice is measured in docs/benchmarks.md). The coder is always named from the sniffed
/// content, so ImageMagick never guesses a format and no other of its coders sees the bytes.
/// </summary>
public static class HeifImages
{
    /// <summary>Width and height from the container, without decoding the image.</summary>
    public static (int Width, int Height) ReadSize(byte[] data, string format)
    {
        using var image = new MagickImage();
        Run(() => image.Ping(data, Settings(format)));
        return ((int)image.Width, (int)image.Height);
    }

    /// <summary>
    /// Decodes to 8-bit BGR and, when the image has one, its alpha channel. libheif applies the container's rotation
    /// and mirroring itself, so the pixels are upright; they stay in the file's colour space (its ICC profile travels
    /// with the output, see <see cref="PhotoMetadata"/>).
    /// </summary>
    public static (Mat Bgr, Mat? Alpha) Decode(byte[] data, string format)
    {
        using var image = new MagickImage();
        Run(() => image.Read(data, Settings(format)));
        var (width, height) = ((int)image.Width, (int)image.Height);
        using var pixels = image.GetPixelsUnsafe();
        var bgr = FromBytes(pixels.ToByteArray(PixelMapping.BGR), height, width, MatType.CV_8UC3);
        var alpha = image.HasAlpha ? FromBytes(pixels.ToByteArray("A"), height, width, MatType.CV_8UC1) : null;
        return (bgr, alpha);
    }

    /// <summary>The raw EXIF (TIFF structure, without the "Exif\0\0" prefix) and ICC profile of the container.</summary>
    public static (byte[]? Exif, byte[]? Icc) ReadProfiles(byte[] data, string format)
    {
        using var image = new MagickImage();
        Run(() => image.Ping(data, Settings(format)));
        return (image.GetExifProfile()?.ToByteArray(), image.GetColorProfile()?.ToByteArray());
    }

    private static MagickReadSettings Settings(string format) => new()
    {
        Format = format == "avif" ? MagickFormat.Avif : MagickFormat.Heic,
    };

    private static Mat FromBytes(byte[]? bytes, int height, int width, MatType type)
    {
        if (bytes is null)
        {
            throw new FaceSwapException(FaceSwapErrorKind.CorruptImage, "image data is damaged (no pixels decoded)");
        }

        using var view = Mat.FromPixelData(height, width, type, bytes);
        return view.Clone();
    }

    private static void Run(Action read)
    {
        try
        {
            read();
        }
        catch (MagickErrorException e)
        {
            // Every error libheif reports (damaged, truncated, an unsupported coding) comes through ImageMagick as one of these.
            throw new FaceSwapException(FaceSwapErrorKind.CorruptImage, $"the HEIF/AVIF image cannot be read ({e.Message})", e);
        }
    }
}
