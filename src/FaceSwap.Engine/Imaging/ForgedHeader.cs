using System.Buffers.Binary;

namespace FaceSwap.Engine.Imaging;

/// <summary>
/// Tells a header that lies about an image's size (<c>header_mismatch</c>) from a real image that is only too large
/// (<c>image_too_large</c>). Only formats whose best possible compression is bounded can be caught lying: PNG
/// (deflate never packs more than 1032 bytes into one, counted on the rows as the header's bit depth and colour type
/// store them) and Huffman-coded JPEG (at least about 2 bits per 8x8 block, under 1100 raw bytes per file byte at
/// any sampling). Arithmetic-coded JPEG, WebP (lossy and lossless), HEIC and AVIF can hold a flat image of any size in
/// a few bytes, so an over-limit header there is always <c>image_too_large</c>.
/// </summary>
public static class ForgedHeader
{
    /// <summary>Deflate's largest expansion: 258 bytes per 2 bits of a repeated match, about 1032:1.</summary>
    public const double DeflateMaxRatio = 1032;

    /// <summary>Raw (3 bytes a pixel) to file size ratio over which a Huffman-coded JPEG header is lying.</summary>
    public const double HuffmanJpegMaxRatio = 1100;

    /// <summary>Whether <paramref name="data"/> cannot hold the <paramref name="width"/> x <paramref name="height"/> image its header declares.</summary>
    public static bool IsForged(ReadOnlySpan<byte> data, string? format, long width, long height) => format switch
    {
        "png" => PngRawBytes(data, width, height) is { } raw && raw > data.Length * DeflateMaxRatio,
        "jpeg" => IsHuffmanJpeg(data) && width * height * 3.0 > data.Length * HuffmanJpegMaxRatio,
        _ => false,
    };

    /// <summary>Bytes of the filtered rows the IHDR describes (one filter byte per row), or null when IHDR is unreadable.</summary>
    private static double? PngRawBytes(ReadOnlySpan<byte> png, long width, long height)
    {
        // Signature (8), IHDR length and type (8), width (4), height (4), bit depth, colour type.
        if (png.Length < 26 || !png[12..16].SequenceEqual("IHDR"u8))
        {
            return null;
        }

        var channels = png[25] switch
        {
            0 => 1, // grey
            2 => 3, // RGB
            3 => 1, // palette index
            4 => 2, // grey + alpha
            6 => 4, // RGBA
            _ => 0,
        };
        if (channels == 0)
        {
            return null;
        }

        var bitsPerPixel = png[24] * channels;
        return height * (1 + Math.Ceiling(width * bitsPerPixel / 8.0));
    }

    /// <summary>Whether the first start-of-frame marker is one of the Huffman-coded ones (SOF0-3, SOF5-7).</summary>
    private static bool IsHuffmanJpeg(ReadOnlySpan<byte> jpeg)
    {
        for (var at = 2; at + 4 <= jpeg.Length;)
        {
            if (jpeg[at] != 0xFF)
            {
                return false;
            }

            var marker = jpeg[at + 1];
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return marker is <= 0xC3 or (>= 0xC5 and <= 0xC7);
            }

            at += 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg[(at + 2)..]);
        }

        return false;
    }
}
