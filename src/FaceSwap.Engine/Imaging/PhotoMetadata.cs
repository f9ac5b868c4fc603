using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ImageMagick;

namespace FaceSwap.Engine.Imaging;

/// <summary>
/// The camera's EXIF and the ICC colour profile of a photo, carried from an input to its output. Pixels are decoded
/// without colour conversion, so writing the input's profile into the output keeps every colour outside the faces as
/// it was (a Display-P3 or Adobe RGB photo is not reinterpreted as sRGB).
/// </summary>
/// <param name="Exif">EXIF as stored in a JPEG APP1 segment ("Exif\0\0" and the TIFF structure), or null.</param>
/// <param name="Icc">The ICC profile, or null.</param>
/// <remarks>
/// Reading and writing the segments and chunks is done here byte by byte, like <see cref="Safety.XmpMarker"/>: SkiaSharp
/// neither reads nor writes EXIF, and no library inserts metadata into the three containers without re-encoding.
/// The EXIF itself is edited with Magick.NET's <see cref="ExifProfile"/>.
/// </remarks>
public sealed record PhotoMetadata(byte[]? Exif, byte[]? Icc)
{
    /// <summary>No metadata.</summary>
    public static readonly PhotoMetadata None = new(null, null);

    /// <summary>The largest ICC profile carried over (a real one is a few KB; a hostile compressed one is not inflated past this).</summary>
    public const int MaxIccBytes = 4 * 1024 * 1024;

    private static readonly byte[] ExifPrefix = "Exif\0\0"u8.ToArray();
    private static readonly byte[] IccPrefix = "ICC_PROFILE\0"u8.ToArray();
    private const int IccChunkBytes = 65519; // 65535 - length field (2) - "ICC_PROFILE\0" (12) - sequence and count (2)

    /// <summary>The EXIF and ICC profile of an encoded image of any format the engine reads; what cannot be read is left out.</summary>
    public static PhotoMetadata Read(byte[] data)
    {
        try
        {
            var format = ImageCodec.Sniff(data);
            return format switch
            {
                "jpeg" => FromJpeg(data),
                "png" => FromPng(data),
                "webp" => FromWebp(data),
                "heic" or "avif" => FromProfiles(HeifImages.ReadProfiles(data, format)),
                _ => None,
            };
        }
        catch (Exception e) when (e is FaceSwapException or InvalidDataException or ArgumentOutOfRangeException)
        {
            return None; // damaged metadata is not carried over; the pixels are judged by the decoder
        }
    }

    /// <summary>
    /// The metadata as an output carries it: EXIF orientation 1 (the pixels are already turned upright), its embedded
    /// thumbnail removed (it would still show the original faces), the pixel dimensions of the output, and with
    /// <paramref name="stripGps"/> no GPS tags. EXIF that cannot be parsed is dropped.
    /// </summary>
    public PhotoMetadata ForOutput(bool stripGps, int width, int height)
    {
        if (Exif is null)
        {
            return this;
        }

        try
        {
            var profile = new ExifProfile(Exif);
            if (stripGps)
            {
                foreach (var value in profile.Values.Where(v => v.Tag.ToString().StartsWith("GPS", StringComparison.Ordinal)).ToList())
                {
                    profile.RemoveValue(value.Tag);
                }
            }

            profile.RemoveThumbnail();
            profile.SetValue(ExifTag.Orientation, (ushort)1);
            if (profile.GetValue(ExifTag.PixelXDimension) is not null || profile.GetValue(ExifTag.PixelYDimension) is not null)
            {
                profile.SetValue(ExifTag.PixelXDimension, (Number)(uint)width);
                profile.SetValue(ExifTag.PixelYDimension, (Number)(uint)height);
            }

            return this with { Exif = profile.ToByteArray() };
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or MagickException)
        {
            return this with { Exif = null };
        }
    }

    /// <summary>Writes the EXIF and ICC profile into an image just encoded by the engine (which wrote neither).</summary>
    public byte[] WriteInto(byte[] encoded, ImageFormat format)
    {
        if (Exif is null && Icc is null)
        {
            return encoded;
        }

        return format switch
        {
            ImageFormat.Jpeg => IntoJpeg(encoded),
            ImageFormat.Png => IntoPng(encoded),
            ImageFormat.Webp => IntoWebp(encoded),
            _ => encoded, // BMP has no slot for either
        };
    }

    private static PhotoMetadata FromProfiles((byte[]? Exif, byte[]? Icc) profiles) =>
        new(profiles.Exif is { Length: > 0 } exif ? WithExifPrefix(exif) : null, profiles.Icc is { Length: > 0 } icc ? icc : null);

    private static byte[] WithExifPrefix(ReadOnlySpan<byte> exif) => exif.StartsWith(ExifPrefix) ? exif.ToArray() : [.. ExifPrefix, .. exif];

    private static PhotoMetadata FromJpeg(byte[] jpeg)
    {
        byte[]? exif = null;
        var iccChunks = new SortedDictionary<int, byte[]>();
        for (var at = 2; at + 4 <= jpeg.Length && jpeg[at] == 0xFF;)
        {
            var marker = jpeg[at + 1];
            if (marker is 0xDA or 0xD9)
            {
                break; // start of scan: no metadata after it
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(at + 2));
            if (length < 2 || at + 2 + length > jpeg.Length)
            {
                break;
            }

            var payload = jpeg.AsSpan(at + 4, length - 2);
            if (marker == 0xE1 && exif is null && payload.StartsWith(ExifPrefix))
            {
                exif = payload.ToArray();
            }
            else if (marker == 0xE2 && payload.Length > IccPrefix.Length + 2 && payload.StartsWith(IccPrefix))
            {
                iccChunks[payload[IccPrefix.Length]] = payload[(IccPrefix.Length + 2)..].ToArray();
            }

            at += 2 + length;
        }

        return new PhotoMetadata(exif, iccChunks.Count == 0 ? null : [.. iccChunks.Values.SelectMany(c => c)]);
    }

    private static PhotoMetadata FromPng(byte[] png)
    {
        byte[]? exif = null, icc = null;
        foreach (var (type, start, length) in PngChunks(png))
        {
            var data = png.AsSpan(start, length);
            if (type == "IDAT")
            {
                break;
            }

            if (type == "eXIf")
            {
                exif = WithExifPrefix(data);
            }
            else if (type == "iCCP" && data.IndexOf((byte)0) is var nul and > 0 && nul + 2 < data.Length)
            {
                icc = Inflate(data[(nul + 2)..].ToArray());
            }
        }

        return new PhotoMetadata(exif, icc);
    }

    private static PhotoMetadata FromWebp(byte[] webp)
    {
        byte[]? exif = null, icc = null;
        foreach (var (type, data) in WebpChunks.Read(webp, out _))
        {
            if (type == "EXIF")
            {
                exif = WithExifPrefix(data);
            }
            else if (type == "ICCP")
            {
                icc = data;
            }
        }

        return new PhotoMetadata(exif, icc);
    }

    private byte[] IntoJpeg(byte[] jpeg)
    {
        // After SOI and a leading JFIF APP0, as readers expect; XmpMarker later puts its APP1 after APP0 as well.
        var insertAt = 2;
        if (jpeg.Length >= 6 && jpeg[2] == 0xFF && jpeg[3] == 0xE0)
        {
            insertAt = 4 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(4));
        }

        using var output = new MemoryStream(jpeg.Length + (Exif?.Length ?? 0) + (Icc?.Length ?? 0) + 64);
        output.Write(jpeg, 0, insertAt);
        if (Exif is { Length: <= 0xFFFD })
        {
            WriteJpegSegment(output, 0xE1, Exif);
        }

        if (Icc is not null && Icc.Length <= 255 * IccChunkBytes)
        {
            var count = (Icc.Length + IccChunkBytes - 1) / IccChunkBytes;
            for (var i = 0; i < count; i++)
            {
                var chunk = Icc.AsSpan(i * IccChunkBytes, Math.Min(IccChunkBytes, Icc.Length - i * IccChunkBytes));
                WriteJpegSegment(output, 0xE2, [.. IccPrefix, (byte)(i + 1), (byte)count, .. chunk]);
            }
        }

        output.Write(jpeg, insertAt, jpeg.Length - insertAt);
        return output.ToArray();
    }

    private byte[] IntoPng(byte[] png)
    {
        // iCCP must come before PLTE and IDAT, eXIf before IDAT: both go right after IHDR (signature 8 + IHDR 25).
        const int afterIhdr = 33;
        var chunks = PngChunks(png).Select(c => c.Type).ToHashSet();
        using var output = new MemoryStream(png.Length + (Exif?.Length ?? 0) + (Icc?.Length ?? 0) + 128);
        output.Write(png, 0, afterIhdr);
        if (Icc is not null && !chunks.Contains("iCCP") && !chunks.Contains("sRGB"))
        {
            WritePngChunk(output, "iCCP"u8, [.. "ICC profile"u8, 0, 0, .. Deflate(Icc)]);
        }

        if (Exif is not null && !chunks.Contains("eXIf"))
        {
            WritePngChunk(output, "eXIf"u8, Exif.AsSpan(ExifPrefix.Length));
        }

        output.Write(png, afterIhdr, png.Length - afterIhdr);
        return output.ToArray();
    }

    private byte[] IntoWebp(byte[] webp)
    {
        var chunks = WebpChunks.Read(webp, out _);
        var vp8x = chunks.FindIndex(c => c.Type == "VP8X");
        if (vp8x < 0)
        {
            var (width, height) = ImageCodec.ReadSize(webp);
            var header = new byte[10];
            if (chunks.Any(c => c.Type == "ALPH") || chunks.Any(c => c.Type == "VP8L" && c.Data.Length > 4 && (c.Data[4] & 0x10) != 0))
            {
                header[0] |= 0x10; // alpha
            }

            WriteUInt24(header.AsSpan(4), width - 1);
            WriteUInt24(header.AsSpan(7), height - 1);
            chunks.Insert(0, ("VP8X", header));
            vp8x = 0;
        }

        // Order the container asks for: VP8X, ICCP, image data, EXIF (XmpMarker appends XMP after it).
        if (Icc is not null && chunks.All(c => c.Type != "ICCP"))
        {
            chunks[vp8x].Data[0] |= 0x20;
            chunks.Insert(vp8x + 1, ("ICCP", Icc));
        }

        if (Exif is not null && chunks.All(c => c.Type != "EXIF"))
        {
            chunks[vp8x].Data[0] |= 0x08;
            chunks.Add(("EXIF", Exif[ExifPrefix.Length..]));
        }

        return WebpChunks.Write(chunks, webp.Length + (Exif?.Length ?? 0) + (Icc?.Length ?? 0) + 64);
    }

    private static IEnumerable<(string Type, int Start, int Length)> PngChunks(byte[] png)
    {
        for (var at = 8; at + 12 <= png.Length;)
        {
            var length = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at)), int.MaxValue);
            if (length > png.Length - at - 12)
            {
                yield break;
            }

            yield return (Encoding.ASCII.GetString(png, at + 4, 4), at + 8, length);
            at += 12 + length;
        }
    }

    private static byte[]? Inflate(byte[] compressed)
    {
        using var zlib = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[16384];
        int read;
        while ((read = zlib.Read(buffer)) > 0)
        {
            if (output.Length + read > MaxIccBytes)
            {
                return null;
            }

            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }

    private static byte[] Deflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(data);
        }

        return output.ToArray();
    }

    private static void WriteJpegSegment(Stream output, byte marker, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = [0xFF, marker, 0, 0];
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(payload.Length + 2));
        output.Write(header);
        output.Write(payload);
    }

    private static void WritePngChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        output.Write(word);
        output.Write(type);
        output.Write(data);
        var crc = Safety.XmpMarker.Crc32.Update(Safety.XmpMarker.Crc32.Update(0xFFFFFFFFu, type), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        output.Write(word);
    }

    private static void WriteUInt24(Span<byte> target, int value)
    {
        target[0] = (byte)value;
        target[1] = (byte)(value >> 8);
        target[2] = (byte)(value >> 16);
    }
}
