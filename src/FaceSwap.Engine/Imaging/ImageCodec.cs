using OpenCvSharp;
using SkiaSharp;

namespace FaceSwap.Engine.Imaging;

/// <summary>Output encodings the engine writes.</summary>
public enum ImageFormat { Jpeg, Png, Webp, Bmp }

/// <summary>Decoding and encoding through SkiaSharp; pixels are handed to OpenCV as 8-bit BGR.</summary>
public static class ImageCodec
{
    /// <summary>Default pixel limit: 64 megapixels.</summary>
    public const long DefaultMaxPixels = 64L * 1000 * 1000;

    /// <summary>Raw-to-file size ratio above which an over-limit header is treated as lying (see <see cref="Decode"/>).</summary>
    public const double MaxCompressionRatio = 1100;

    /// <summary>Extensions the engine reads, lower case with the dot.</summary>
    public static readonly IReadOnlySet<string> ReadableExtensions =
        new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".bmp", ".webp" };

    /// <summary>Reads width and height from the header without decoding pixels.</summary>
    public static (int Width, int Height) ReadSize(byte[] data)
    {
        using var codec = CreateCodec(data);
        return Oriented(codec.Info.Width, codec.Info.Height, codec.EncodedOrigin);
    }

    /// <summary>Decodes an image, applies its EXIF orientation and returns a BGR Mat the caller owns.</summary>
    public static Mat Decode(byte[] data, long maxPixels = DefaultMaxPixels)
    {
        using var codec = CreateCodec(data);
        var info = codec.Info;
        if ((long)info.Width * info.Height > maxPixels)
        {
            // No codec the engine reads compresses better than about 1:1032 (deflate's limit); a header declaring more
            // raw pixel bytes than that is lying about the size rather than holding a real (if huge) image.
            if ((double)info.Width * info.Height * 3 / data.Length > MaxCompressionRatio)
            {
                throw new FaceSwapException(FaceSwapErrorKind.HeaderMismatch,
                    $"the header claims {info.Width}x{info.Height} pixels, which {data.Length} bytes cannot hold: the file is damaged or forged");
            }

            throw new FaceSwapException(FaceSwapErrorKind.ImageTooLarge,
                $"image is {info.Width}x{info.Height} ({(long)info.Width * info.Height / 1e6:0.#} megapixels), over the limit of {maxPixels / 1e6:0.#} megapixels");
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
        return ApplyOrientation(bgr, codec.EncodedOrigin);
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
            _ => null,
        };
        var actual = Sniff(data);
        if (claimed is not null && actual is not null && claimed != actual)
        {
            throw new FaceSwapException(FaceSwapErrorKind.ContentMismatch,
                $"the file is named {Path.GetExtension(name)} but holds a {actual.ToUpperInvariant()} image: rename it or convert it");
        }
    }

    /// <summary>The format a file's leading bytes identify (jpeg, png, webp, bmp), or null.</summary>
    public static string? Sniff(ReadOnlySpan<byte> data) => data switch
    {
        [0xFF, 0xD8, 0xFF, ..] => "jpeg",
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, ..] => "png",
        [0x52, 0x49, 0x46, 0x46, _, _, _, _, 0x57, 0x45, 0x42, 0x50, ..] => "webp",
        [0x42, 0x4D, ..] => "bmp",
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

    /// <summary>Encodes a BGR Mat.</summary>
    public static byte[] Encode(Mat bgr, ImageFormat format, int quality = 92)
    {
        if (format == ImageFormat.Bmp)
        {
            // Skia has no BMP encoder; OpenCV's is exact.
            return bgr.ImEncode(".bmp");
        }

        using var bgra = new Mat();
        Cv2.CvtColor(bgr, bgra, ColorConversionCodes.BGR2BGRA);
        var info = new SKImageInfo(bgra.Width, bgra.Height, SKColorType.Bgra8888, SKAlphaType.Opaque);
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
                : new FaceSwapException(FaceSwapErrorKind.NotAnImage, "file is not an image in a supported format (jpg, png, bmp, webp)");
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
