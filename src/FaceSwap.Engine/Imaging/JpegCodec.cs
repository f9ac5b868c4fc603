using OpenCvSharp;

namespace FaceSwap.Engine.Imaging;

/// <summary>
/// JPEG through OpenCV's libjpeg-turbo. SkiaSharp stays the reader of headers, orientation and damage, but its native
/// build encodes JPEG four to eight times slower and decodes it two to four times slower than OpenCV's, for the same
/// pixels: on the demo photos the decoded pixels are identical and the encoded files the same size at the same quality
/// (Huffman tables optimised, 4:2:0, as Skia writes them). See docs/benchmarks.md, "Realistic swap".
/// </summary>
internal static class JpegCodec
{
    /// <summary>Encodes BGR at <paramref name="quality"/> (1-100) with optimised Huffman tables.</summary>
    public static byte[] Encode(Mat bgr, int quality) =>
        bgr.ImEncode(".jpg", new ImageEncodingParam(ImwriteFlags.JpegQuality, quality), new ImageEncodingParam(ImwriteFlags.JpegOptimize, 1));

    /// <summary>
    /// Decodes a JPEG to BGR as stored (no EXIF rotation), or null when the file is one to leave to Skia, which tells
    /// damage apart: a stream that does not end in its end-of-image marker (truncated, or with trailing data), or one
    /// that is not 8-bit grey or 3-channel colour (CMYK, 12-bit).
    /// </summary>
    public static Mat? TryDecode(byte[] data, int width, int height)
    {
        if (!EndsWithEndOfImage(data) || !IsPlainEightBit(data))
        {
            return null;
        }

        var bgr = Cv2.ImDecode(data, ImreadModes.Color | ImreadModes.IgnoreOrientation);
        if (bgr.Empty() || bgr.Width != width || bgr.Height != height)
        {
            bgr.Dispose();
            return null;
        }

        return bgr;
    }

    private static bool EndsWithEndOfImage(byte[] data) => data.Length > 4 && data[^2] == 0xFF && data[^1] == 0xD9;

    /// <summary>Walks the marker segments to the frame header: 8-bit precision with 1 or 3 components.</summary>
    private static bool IsPlainEightBit(byte[] data)
    {
        var i = 2;
        while (i + 9 < data.Length)
        {
            if (data[i] != 0xFF)
            {
                return false;
            }

            var marker = data[i + 1];
            if (marker == 0xFF)
            {
                i++;
                continue;
            }

            var length = (data[i + 2] << 8) | data[i + 3];
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                var precision = data[i + 4];
                var components = data[i + 9];
                return precision == 8 && components is 1 or 3;
            }

            if (length < 2)
            {
                return false;
            }

            i += 2 + length;
        }

        return false;
    }
}
