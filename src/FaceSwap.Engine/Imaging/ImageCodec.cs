using OpenCvSharp;
using SkiaSharp;

namespace FaceSwap.Engine.Imaging;

/// <summary>Output encodings the engine writes.</summary>
public enum ImageFormat { Jpeg, Png, Webp, Bmp }

/// <summary>Decoding and encoding through SkiaSharp (JPEG pixels through <see cref="JpegCodec"/>); pixels are handed to OpenCV as 8-bit BGR.</summary>
public static class ImageCodec
{
    /// <summary>Default pixel limit: 64 megapixels.</summary>
    public const long DefaultMaxPixels = 64L * 1000 * 1000;

    /// <summary>Extensions the engine reads, lower case with the dot (HEIC/HEIF and AVIF through <see cref="HeifImages"/>).</summary>
    public static readonly IReadOnlySet<string> ReadableExtensions =
        new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".bmp", ".webp", ".heic", ".heif", ".avif" };

    /// <summary>
    /// Extensions of photos the engine does not read (TIFF, GIF). A job lists them anyway, so each appears in its
    /// outcomes as <c>unsupported_format</c> instead of being passed over in silence.
    /// </summary>
    public static readonly IReadOnlySet<string> UnreadablePhotoExtensions =
        new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".tif", ".tiff", ".gif" };

    /// <summary>Reads width and height from the header without decoding pixels.</summary>
    public static (int Width, int Height) ReadSize(byte[] data)
    {
        var format = SniffSupported(data);
        if (format is "heic" or "avif")
        {
            return HeifImages.ReadSize(data, format);
        }

        using var codec = CreateCodec(data);
        return Oriented(codec.Info.Width, codec.Info.Height, codec.EncodedOrigin);
    }

    /// <summary>Decodes an image, applies its EXIF orientation and returns a BGR Mat the caller owns.</summary>
    public static Mat Decode(byte[] data, long maxPixels = DefaultMaxPixels) => DecodeCore(data, maxPixels, keepAlpha: false).Bgr;

    /// <summary>
    /// The alpha channel of an image that has one (PNG, WebP), turned as its pixels are; null for an opaque image or
    /// one of the HEIF family (written as JPEG, which has no alpha). The caller owns the Mat.
    /// </summary>
    public static Mat? DecodeAlpha(byte[] data, long maxPixels = DefaultMaxPixels)
    {
        var format = SniffSupported(data);
        if (format is "heic" or "avif")
        {
            return null;
        }

        using (var codec = CreateCodec(data))
        {
            if (codec.Info.AlphaType == SKAlphaType.Opaque)
            {
                return null;
            }
        }

        var (bgr, alpha) = DecodeCore(data, maxPixels, keepAlpha: true);
        bgr.Dispose();
        return alpha;
    }

    private static (Mat Bgr, Mat? Alpha) DecodeCore(byte[] data, long maxPixels, bool keepAlpha)
    {
        var format = SniffSupported(data);
        if (format is "heic" or "avif")
        {
            var (width, height) = HeifImages.ReadSize(data, format);
            RefuseOverLimit(data, format, width, height, maxPixels);
            var (heifBgr, heifAlpha) = HeifImages.Decode(data, format);
            heifAlpha?.Dispose();
            return (heifBgr, null);
        }

        using var codec = CreateCodec(data);
        var info = codec.Info;
        RefuseOverLimit(data, format, info.Width, info.Height, maxPixels);
        if (codec.FrameCount > 1)
        {
            throw new FaceSwapException(FaceSwapErrorKind.AnimatedImage,
                $"the image is animated ({codec.FrameCount} frames): only still photos are swapped, the frames after the first would be lost");
        }

        if (format == "jpeg" && JpegCodec.TryDecode(data, info.Width, info.Height) is { } jpeg)
        {
            return (ApplyOrientation(jpeg, codec.EncodedOrigin), null);
        }

        var decodeInfo = new SKImageInfo(info.Width, info.Height, SKColorType.Bgra8888, SKAlphaType.Unpremul);
        using var bgra = new Mat(info.Height, info.Width, MatType.CV_8UC4);
        var result = codec.GetPixels(decodeInfo, bgra.Data);
        switch (result)
        {
            case SKCodecResult.Success:
                break;
            case SKCodecResult.IncompleteInput:
                throw new FaceSwapException(FaceSwapErrorKind.TruncatedImage, "image is truncated: the file ends before the image data does");
            default:
                throw new FaceSwapException(FaceSwapErrorKind.CorruptImage, $"image data is damaged ({result})");
        }

        var bgr = new Mat();
        Cv2.CvtColor(bgra, bgr, ColorConversionCodes.BGRA2BGR);
        Mat? alpha = null;
        if (keepAlpha && info.AlphaType != SKAlphaType.Opaque)
        {
            alpha = new Mat();
            Cv2.ExtractChannel(bgra, alpha, 3);
            alpha = ApplyOrientation(alpha, codec.EncodedOrigin);
        }

        return (ApplyOrientation(bgr, codec.EncodedOrigin), alpha);
    }

    /// <summary>
    /// Refuses a header over the pixel limit before anything is allocated: <c>header_mismatch</c> where the file
    /// cannot hold what the header declares (<see cref="ForgedHeader"/>), otherwise <c>image_too_large</c>.
    /// </summary>
    private static void RefuseOverLimit(byte[] data, string? format, long width, long height, long maxPixels)
    {
        if (width * height <= maxPixels)
        {
            return;
        }

        if (ForgedHeader.IsForged(data, format, width, height))
        {
            throw new FaceSwapException(FaceSwapErrorKind.HeaderMismatch,
                $"the header claims {width}x{height} pixels, which {data.Length} bytes cannot hold: the file is damaged or forged");
        }

        throw new FaceSwapException(FaceSwapErrorKind.ImageTooLarge,
            $"image is {width}x{height} ({width * height / 1e6:0.#} megapixels), over the limit of {maxPixels / 1e6:0.#} megapixels");
    }

    /// <summary>The sniffed format, refusing the photo formats the engine does not read (GIF, TIFF) by their content.</summary>
    private static string? SniffSupported(ReadOnlySpan<byte> data)
    {
        var format = Sniff(data);
        if (format is "gif" or "tiff")
        {
            throw new FaceSwapException(FaceSwapErrorKind.UnsupportedFormat,
                $"{format!.ToUpperInvariant()} images are not read: convert the photo to JPEG, PNG, WebP, HEIC or AVIF");
        }

        return format;
    }

    /// <summary>
    /// Refuses a file whose leading bytes are an image of another format than its name's extension says (a PNG named
    /// .jpg); content that is no known image is left to the decoder to refuse.
    /// </summary>
    public static void CheckContentMatchesName(ReadOnlySpan<byte> data, string name)
    {
        var claimed = Path.GetExtension(name).ToLowerInvariant() switch
        {
            ".jpg" or ".jpeg" => "jpeg",
            ".png" => "png",
            ".webp" => "webp",
            ".bmp" => "bmp",
            ".gif" => "gif",
            ".tif" or ".tiff" => "tiff",
            ".heic" or ".heif" or ".avif" => "heif",
            _ => null,
        };
        var actual = Sniff(data);
        var actualFamily = actual is "heic" or "avif" ? "heif" : actual;
        if (claimed is not null && actualFamily is not null && claimed != actualFamily)
        {
            throw new FaceSwapException(FaceSwapErrorKind.ContentMismatch,
                $"the file is named {Path.GetExtension(name)} but holds a {actual!.ToUpperInvariant()} image: rename it or convert it");
        }
    }

    /// <summary>The format a file's leading bytes identify (jpeg, png, webp, bmp, gif, tiff, heic, avif), or null.</summary>
    public static string? Sniff(ReadOnlySpan<byte> data) => data switch
    {
        [0xFF, 0xD8, 0xFF, ..] => "jpeg",
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, ..] => "png",
        [0x52, 0x49, 0x46, 0x46, _, _, _, _, 0x57, 0x45, 0x42, 0x50, ..] => "webp",
        [0x42, 0x4D, ..] => "bmp",
        [0x47, 0x49, 0x46, 0x38, ..] => "gif",
        [0x49, 0x49, 0x2A, 0x00, ..] or [0x4D, 0x4D, 0x00, 0x2A, ..] => "tiff",
        [_, _, _, _, 0x66, 0x74, 0x79, 0x70, ..] => HeifBrand(data[8..]),
        _ => null,
    };

    /// <summary>An ISO base media file's major brand (after "ftyp"): AVIF or one of the HEIC/HEIF brands, else null.</summary>
    private static string? HeifBrand(ReadOnlySpan<byte> brand) => brand.Length < 4 ? null : System.Text.Encoding.ASCII.GetString(brand[..4]) switch
    {
        "avif" or "avis" => "avif",
        "heic" or "heix" or "hevc" or "hevx" or "heim" or "heis" or "mif1" or "msf1" => "heic",
        _ => null,
    };

    /// <summary>The format an output path's extension names, or an error for one the engine cannot write.</summary>
    public static ImageFormat FormatFromPath(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => ImageFormat.Jpeg,
        ".png" => ImageFormat.Png,
        ".webp" => ImageFormat.Webp,
        ".bmp" => ImageFormat.Bmp,
        var ext => throw new FaceSwapException(FaceSwapErrorKind.UnsupportedFormat,
            $"cannot write '{ext}' files: use .jpg, .jpeg, .png, .webp or .bmp"),
    };

    /// <summary>
    /// Encodes a BGR Mat; with <paramref name="alpha"/> (same size, 8-bit), PNG and WebP keep it as their alpha channel
    /// (JPEG and BMP have none and are written opaque).
    /// </summary>
    public static byte[] Encode(Mat bgr, ImageFormat format, int quality = 92, Mat? alpha = null)
    {
        if (format == ImageFormat.Bmp)
        {
            // Skia has no BMP encoder; OpenCV's is exact.
            return bgr.ImEncode(".bmp");
        }

        if (format == ImageFormat.Jpeg)
        {
            return JpegCodec.Encode(bgr, quality);
        }

        var withAlpha = alpha is not null && format is ImageFormat.Png or ImageFormat.Webp;
        using var bgra = new Mat();
        if (withAlpha)
        {
            Cv2.Split(bgr, out var channels);
            Cv2.Merge([.. channels, alpha!], bgra);
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
        else
        {
            Cv2.CvtColor(bgr, bgra, ColorConversionCodes.BGR2BGRA);
        }

        var info = new SKImageInfo(bgra.Width, bgra.Height, SKColorType.Bgra8888, withAlpha ? SKAlphaType.Unpremul : SKAlphaType.Opaque);
        using var pixmap = new SKPixmap(info, bgra.Data, (int)bgra.Step());
        var skFormat = format switch
        {
            ImageFormat.Png => SKEncodedImageFormat.Png,
            ImageFormat.Webp => SKEncodedImageFormat.Webp,
            _ => SKEncodedImageFormat.Jpeg,
        };
        using var data = pixmap.Encode(skFormat, quality)
            ?? throw new FaceSwapException(FaceSwapErrorKind.UnsupportedFormat, $"could not encode {format}");
        return data.ToArray();
    }

    private static SKCodec CreateCodec(byte[] data)
    {
        if (data.Length == 0)
        {
            throw new FaceSwapException(FaceSwapErrorKind.EmptyFile, "file is empty (0 bytes)");
        }

        var codec = SKCodec.Create(new SKMemoryStream(data), out var result);
        if (codec is null)
        {
            throw result == SKCodecResult.IncompleteInput
                ? new FaceSwapException(FaceSwapErrorKind.TruncatedImage, "image is truncated: the file ends inside its header")
                : new FaceSwapException(FaceSwapErrorKind.NotAnImage, "file is not an image in a supported format (jpg, png, bmp, webp, heic, avif)");
        }

        return codec;
    }

    private static (int, int) Oriented(int w, int h, SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom
            ? (h, w) : (w, h);

    private static Mat ApplyOrientation(Mat image, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft)
        {
            return image;
        }

        var result = Orient(image, origin);
        image.Dispose();
        return result;
    }

    /// <summary>A copy of <paramref name="image"/> turned as the EXIF orientation <paramref name="origin"/> says.</summary>
    public static Mat Orient(Mat image, SKEncodedOrigin origin)
    {
        var result = new Mat();
        switch (origin)
        {
            case SKEncodedOrigin.TopRight: Cv2.Flip(image, result, FlipMode.Y); break;
            case SKEncodedOrigin.BottomRight: Cv2.Rotate(image, result, RotateFlags.Rotate180); break;
            case SKEncodedOrigin.BottomLeft: Cv2.Flip(image, result, FlipMode.X); break;
            case SKEncodedOrigin.LeftTop: Cv2.Transpose(image, result); break;
            case SKEncodedOrigin.RightTop: Cv2.Rotate(image, result, RotateFlags.Rotate90Clockwise); break;
            case SKEncodedOrigin.RightBottom:
                Cv2.Transpose(image, result);
                Cv2.Rotate(result, result, RotateFlags.Rotate180);
                break;
            case SKEncodedOrigin.LeftBottom: Cv2.Rotate(image, result, RotateFlags.Rotate90Counterclockwise); break;
            default: image.CopyTo(result); break;
        }

        return result;
    }
}
