using FaceSwap.Engine;
using FaceSwap.Engine.Imaging;
using FaceSwap.Grains.Safety;
using OpenCvSharp;
using SkiaSharp;

namespace FaceSwap.Grains.Thumbnails;

/// <summary>A thumbnail could not be made within the memory allowed; <see cref="Code"/> says why.</summary>
public sealed class ThumbnailException(string code, string message) : Exception(message)
{
    /// <summary>What went wrong (<see cref="ThumbnailImage.NeedsFullDecode"/>).</summary>
    public string Code { get; } = code;
}

/// <summary>
/// Small JPEGs of photos, made without a full-size decode where the codec allows it: the header is checked against the
/// pixel limit first, then the codec decodes at a reduced size where it can (JPEG at 1/8 to 8/8, WebP at any size), and
/// otherwise row by row (BMP), each band of rows averaged down at once, so a 62 MP JPEG's thumbnail holds a few MB,
/// never the whole image. An image the codec can do neither for (PNG: Skia decodes it only whole) is decoded whole only
/// up to the caller's <c>maxWholeDecodePixels</c>.
/// </summary>
public static class ThumbnailImage
{
    /// <summary>What api silos decode whole at most: 4 MP, 16 MB as BGRA.</summary>
    public const long SmallImagePixels = 4L * 1024 * 1024;

    /// <summary>Code of an image that can only be decoded whole, and is larger than the caller allows.</summary>
    public const string NeedsFullDecode = "thumbnail_needs_full_decode";

    /// <summary>
    /// A JPEG whose longer side is at most <paramref name="longest"/> pixels (never upscaled), EXIF orientation applied.
    /// </summary>
    /// <exception cref="FaceSwapException">Not a readable image, or over <paramref name="maxPixels"/> (refused from its header).</exception>
    /// <exception cref="ThumbnailException">The image could only be decoded whole, and has more than <paramref name="maxWholeDecodePixels"/> pixels.</exception>
    public static byte[] Make(byte[] data, int longest, long maxPixels, long maxWholeDecodePixels)
    {
        if (ImageCodec.Sniff(data) is "heic" or "avif")
        {
            return MakeFromHeif(data, longest, maxPixels, maxWholeDecodePixels);
        }

        // A managed stream over the bytes, not an SKMemoryStream: no second copy of the file in native memory.
        using var stream = new MemoryStream(data, writable: false);
        using var codec = SKCodec.Create(stream) ?? throw Unreadable(data);
        var full = codec.Info;
        if ((long)full.Width * full.Height > maxPixels)
        {
            // Refused from the header with the engine's own error class; no pixel is decoded.
            ImageLimits.RefuseOverLimit(data, maxPixels);
        }

        // The smallest size the codec decodes to natively that is still at least the thumbnail's (JPEG rounds the
        // scale to eighths, to the nearest rather than up); the full size where it has none.
        var wanted = Math.Min(longest, Math.Max(full.Width, full.Height));
        var dimensions = new SKSizeI(full.Width, full.Height);
        for (var scale = wanted / (float)Math.Max(full.Width, full.Height); scale < 1f; scale += 0.125f)
        {
            var scaled = codec.GetScaledDimensions(scale);
            if (Math.Max(scaled.Width, scaled.Height) >= wanted)
            {
                dimensions = scaled;
                break;
            }
        }

        var decode = new SKImageInfo(dimensions.Width, dimensions.Height, SKColorType.Bgra8888, SKAlphaType.Unpremul);
        var factor = Math.Min(1.0, longest / (double)Math.Max(decode.Width, decode.Height));
        var target = new Size(Math.Max(1, (int)Math.Round(decode.Width * factor)), Math.Max(1, (int)Math.Round(decode.Height * factor)));

        using var bgra = (long)decode.Width * decode.Height <= SmallImagePixels ? DecodeWhole(codec, decode, target)
            : codec.StartScanlineDecode(decode) == SKCodecResult.Success ? DecodeByRows(codec, decode, target)
            : (long)decode.Width * decode.Height <= maxWholeDecodePixels ? DecodeWhole(codec, decode, target)
            : throw new ThumbnailException(NeedsFullDecode,
                $"a {decode.Width}x{decode.Height} {codec.EncodedFormat} image can only be decoded whole, which this silo does not do for thumbnails");
        using var bgr = new Mat();
        Cv2.CvtColor(bgra, bgr, ColorConversionCodes.BGRA2BGR);
        using var oriented = ImageCodec.Orient(bgr, codec.EncodedOrigin);
        return ImageCodec.Encode(oriented, ImageFormat.Jpeg, 85);
    }

    /// <summary>HEIC and AVIF (not Skia's): libheif decodes them only whole, so like PNG only up to <paramref name="maxWholeDecodePixels"/>.</summary>
    private static byte[] MakeFromHeif(byte[] data, int longest, long maxPixels, long maxWholeDecodePixels)
    {
        var (width, height) = ImageCodec.ReadSize(data);
        if ((long)width * height > maxPixels)
        {
            ImageLimits.RefuseOverLimit(data, maxPixels);
        }

        if ((long)width * height > maxWholeDecodePixels)
        {
            throw new ThumbnailException(NeedsFullDecode, $"a {width}x{height} HEIF image can only be decoded whole, which this silo does not do for thumbnails");
        }

        using var whole = ImageCodec.Decode(data, maxPixels);
        var factor = Math.Min(1.0, longest / (double)Math.Max(width, height));
        using var small = new Mat();
        Cv2.Resize(whole, small, new Size(Math.Max(1, (int)Math.Round(width * factor)), Math.Max(1, (int)Math.Round(height * factor))), interpolation: InterpolationFlags.Area);
        return ImageCodec.Encode(small, ImageFormat.Jpeg, 85);
    }

    /// <summary>The engine's own error for bytes no codec opens (empty, not an image, truncated header).</summary>
    private static FaceSwapException Unreadable(byte[] data)
    {
        try
        {
            ImageCodec.ReadSize(data);
        }
        catch (FaceSwapException e)
        {
            return e;
        }

        return new FaceSwapException(FaceSwapErrorKind.NotAnImage, "file is not an image in a supported format (jpg, png, bmp, webp)");
    }

    private static Mat DecodeWhole(SKCodec codec, SKImageInfo decode, Size target)
    {
        using var pixels = new Mat(decode.Height, decode.Width, MatType.CV_8UC4);
        Check(codec.GetPixels(decode, pixels.Data, (int)pixels.Step(), new SKCodecOptions()));
        var small = new Mat();
        Cv2.Resize(pixels, small, target, interpolation: InterpolationFlags.Area);
        return small;
    }

    /// <summary>
    /// Decodes a started scanline decode a band of rows at a time (the rows of one output row), each band averaged down
    /// to one row as it comes: memory is one band and the thumbnail.
    /// </summary>
    private static Mat DecodeByRows(SKCodec codec, SKImageInfo decode, Size target)
    {
        var small = new Mat(target.Height, target.Width, MatType.CV_8UC4);
        var rowsPerBand = (decode.Height + target.Height - 1) / target.Height;
        using var band = new Mat(rowsPerBand, decode.Width, MatType.CV_8UC4);
        using var averaged = new Mat();
        var output = small.AsRows<Vec4b>();
        for (var y = 0; y < target.Height; y++)
        {
            var from = (int)((long)y * decode.Height / target.Height);
            var to = (int)((long)(y + 1) * decode.Height / target.Height);
            using var rows = band.RowRange(0, to - from);
            if (codec.GetScanlines(rows.Data, to - from, (int)band.Step()) != to - from)
            {
                small.Dispose();
                throw new FaceSwapException(FaceSwapErrorKind.TruncatedImage, "image is truncated: the file ends before the image data does");
            }

            Cv2.Resize(rows, averaged, new Size(target.Width, 1), interpolation: InterpolationFlags.Area);
            averaged.AsSpan<Vec4b>().CopyTo(output[y]);
        }

        if (codec.ScanlineOrder == SKCodecScanlineOrder.BottomUp)
        {
            Cv2.Flip(small, small, FlipMode.X);
        }

        return small;
    }

    private static void Check(SKCodecResult result)
    {
        switch (result)
        {
            case SKCodecResult.Success:
                return;
            case SKCodecResult.IncompleteInput:
                throw new FaceSwapException(FaceSwapErrorKind.TruncatedImage, "image is truncated: the file ends before the image data does");
            default:
                throw new FaceSwapException(FaceSwapErrorKind.CorruptImage, $"image data is damaged ({result})");
        }
    }
}
