using System.Buffers.Binary;
using System.Security;
using System.Text;
using System.Xml.Linq;
using FaceSwap.Engine.Imaging;

namespace FaceSwap.Engine.Safety;

/// <summary>What an output's metadata says about how it was made.</summary>
/// <param name="Found">Whether an XMP packet with IPTC DigitalSourceType trainedAlgorithmicMedia is present.</param>
/// <param name="DigitalSourceType">The DigitalSourceType value found, if any.</param>
/// <param name="JobId">The FaceSwap job id recorded, if any.</param>
/// <param name="Note">The human-readable note (dc:description), if any.</param>
public sealed record ProvenanceMetadata(bool Found, string? DigitalSourceType, string? JobId, string? Note);

/// <summary>
/// Marks encoded outputs as AI-generated: an XMP packet with IPTC <c>Iptc4xmpExt:DigitalSourceType</c> =
/// <c>trainedAlgorithmicMedia</c>, the job id and a short note, stored where each format keeps XMP (JPEG APP1,
/// PNG iTXt <c>XML:com.adobe.xmp</c>, WebP <c>XMP </c> chunk in the extended VP8X layout), plus the note as plain
/// text where the format has a text slot (JPEG COM segment, PNG tEXt Comment).
/// </summary>
/// <remarks>
/// No maintained .NET library writes XMP into all three containers without re-encoding the image (MetadataExtractor,
/// used by the tests, only reads), and the container operations are small and fully specified, so they are done here
/// byte by byte. BMP has no metadata slot and is written unmarked (the invisible watermark still applies).
/// </remarks>
public static class XmpMarker
{
    /// <summary>The IPTC NewsCodes URI for media created by a trained algorithm (generative AI).</summary>
    public const string TrainedAlgorithmicMedia = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

    /// <summary>The namespace of FaceSwap's own XMP properties.</summary>
    public const string FaceSwapNamespace = "urn:faceswap:provenance:1.0#";

    private const string IptcExtNamespace = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/";
    private static readonly byte[] JpegXmpHeader = Encoding.ASCII.GetBytes("http://ns.adobe.com/xap/1.0/\0");
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The note written with every output.</summary>
    public static string Note(string? jobId) =>
        $"AI-generated: faces in this image were replaced by FaceSwap (synthetic media){(jobId is null ? "" : $", job {jobId}")}.";

    /// <summary>The XMP packet for an output.</summary>
    public static string Packet(string? jobId, bool watermarked)
    {
        var job = jobId is null ? "" : $"\n    fs:JobId=\"{SecurityElement.Escape(jobId)}\"";
        return "<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
            + "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
            + " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
            + "  <rdf:Description rdf:about=\"\"\n"
            + $"    xmlns:Iptc4xmpExt=\"{IptcExtNamespace}\"\n"
            + "    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
            + $"    xmlns:fs=\"{FaceSwapNamespace}\"\n"
            + $"    Iptc4xmpExt:DigitalSourceType=\"{TrainedAlgorithmicMedia}\"{job}\n"
            + $"    fs:Watermark=\"{(watermarked ? "True" : "False")}\">\n"
            + $"   <dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{SecurityElement.Escape(Note(jobId))}</rdf:li></rdf:Alt></dc:description>\n"
            + "  </rdf:Description>\n"
            + " </rdf:RDF>\n"
            + "</x:xmpmeta>\n"
            + "<?xpacket end=\"r\"?>";
    }

    /// <summary>Adds the provenance XMP (and note) to an encoded image; BMP is returned unchanged.</summary>
    public static byte[] Mark(byte[] encoded, ImageFormat format, string? jobId, bool watermarked)
    {
        var packet = Encoding.UTF8.GetBytes(Packet(jobId, watermarked));
        var note = Encoding.UTF8.GetBytes(Note(jobId));
        return format switch
        {
            ImageFormat.Jpeg => MarkJpeg(encoded, packet, note),
            ImageFormat.Png => MarkPng(encoded, packet, note),
            ImageFormat.Webp => MarkWebp(encoded, packet),
            _ => encoded,
        };
    }

    /// <summary>
    /// Finds the provenance XMP in an encoded image of any format. XMP is stored uncompressed in all three containers
    /// the engine writes, so the packet is located by its <c>x:xmpmeta</c> element and parsed as XML.
    /// </summary>
    public static ProvenanceMetadata Read(ReadOnlySpan<byte> file)
    {
        var start = file.IndexOf("<x:xmpmeta"u8);
        if (start < 0)
        {
            return new ProvenanceMetadata(false, null, null, null);
        }

        var endTag = "</x:xmpmeta>"u8;
        var length = file[start..].IndexOf(endTag);
        if (length < 0)
        {
            return new ProvenanceMetadata(false, null, null, null);
        }

        XDocument xml;
        try
        {
            xml = XDocument.Parse(Encoding.UTF8.GetString(file.Slice(start, length + endTag.Length)));
        }
        catch (System.Xml.XmlException)
        {
            return new ProvenanceMetadata(false, null, null, null);
        }

        string? Property(string ns, string name) =>
            xml.Descendants().Select(e => (string?)e.Attribute(XName.Get(name, ns))).FirstOrDefault(v => v is not null)
            ?? xml.Descendants(XName.Get(name, ns)).Select(e => e.Value).FirstOrDefault();

        var type = Property(IptcExtNamespace, "DigitalSourceType");
        var jobId = Property(FaceSwapNamespace, "JobId");
        var note = xml.Descendants(XName.Get("description", "http://purl.org/dc/elements/1.1/")).Select(e => e.Value.Trim()).FirstOrDefault();
        var found = type is not null && type.EndsWith("/trainedAlgorithmicMedia", StringComparison.Ordinal);
        return new ProvenanceMetadata(found, type, jobId, note);
    }

    private static byte[] MarkJpeg(byte[] jpeg, byte[] packet, byte[] note)
    {
        if (jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        {
            throw new FaceSwapException(FaceSwapErrorKind.UnsupportedFormat, "encoder output is not a JPEG");
        }

        if (JpegXmpHeader.Length + packet.Length + 2 > 0xFFFF)
        {
            throw new InvalidOperationException("XMP packet too large for one JPEG APP1 segment");
        }

        // Keep a leading JFIF APP0 first, as readers expect; insert APP1 (XMP) and COM (note) after it.
        var insertAt = 2;
        if (jpeg[2] == 0xFF && jpeg[3] == 0xE0 && jpeg.Length >= 6)
        {
            insertAt = 4 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(4));
        }

        using var output = new MemoryStream(jpeg.Length + packet.Length + note.Length + 64);
        output.Write(jpeg, 0, insertAt);
        WriteJpegSegment(output, 0xE1, [.. JpegXmpHeader, .. packet]);
        WriteJpegSegment(output, 0xFE, note);
        output.Write(jpeg, insertAt, jpeg.Length - insertAt);
        return output.ToArray();
    }

    private static void WriteJpegSegment(Stream output, byte marker, byte[] payload)
    {
        Span<byte> header = stackalloc byte[4];
        header[0] = 0xFF;
        header[1] = marker;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(payload.Length + 2));
        output.Write(header);
        output.Write(payload);
    }

    private static byte[] MarkPng(byte[] png, byte[] packet, byte[] note)
    {
        if (png.Length < 33 || !png.AsSpan(0, 8).SequenceEqual(PngSignature))
        {
            throw new FaceSwapException(FaceSwapErrorKind.UnsupportedFormat, "encoder output is not a PNG");
        }

        // Signature (8) + IHDR chunk (4 length + 4 type + 13 data + 4 CRC) = 33; the text chunks follow IHDR.
        const int afterIhdr = 33;
        using var output = new MemoryStream(png.Length + packet.Length + note.Length + 64);
        output.Write(png, 0, afterIhdr);
        // iTXt: keyword, NUL, compression flag 0, method 0, language tag "" NUL, translated keyword "" NUL, text.
        WritePngChunk(output, "iTXt"u8, [.. "XML:com.adobe.xmp"u8, 0, 0, 0, 0, 0, .. packet]);
        // tEXt is Latin-1; the note is ASCII.
        WritePngChunk(output, "tEXt"u8, [.. "Comment"u8, 0, .. note]);
        output.Write(png, afterIhdr, png.Length - afterIhdr);
        return output.ToArray();
    }

    private static void WritePngChunk(Stream output, ReadOnlySpan<byte> type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        output.Write(word);
        output.Write(type);
        output.Write(data);
        var crc = Crc32.Update(Crc32.Update(0xFFFFFFFFu, type), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        output.Write(word);
    }

    private static byte[] MarkWebp(byte[] webp, byte[] packet)
    {
        if (webp.Length < 30 || !webp.AsSpan(0, 4).SequenceEqual("RIFF"u8) || !webp.AsSpan(8, 4).SequenceEqual("WEBP"u8))
        {
            throw new FaceSwapException(FaceSwapErrorKind.UnsupportedFormat, "encoder output is not a WebP");
        }

        var chunks = WebpChunks.Read(webp, out var complete);
        if (!complete)
        {
            throw new FaceSwapException(FaceSwapErrorKind.UnsupportedFormat, "encoder output is a malformed WebP");
        }

        chunks.RemoveAll(c => c.Type == "XMP ");
        var vp8x = chunks.FindIndex(c => c.Type == "VP8X");
        if (vp8x < 0)
        {
            var (width, height) = ImageCodec.ReadSize(webp);
            var header = new byte[10];
            header[0] = 0x04; // XMP present
            if (chunks.Any(c => c.Type == "ALPH") || chunks.Any(c => c.Type == "VP8L" && c.Data.Length > 4 && (c.Data[4] & 0x10) != 0))
            {
                header[0] |= 0x10; // alpha
            }

            WriteUInt24(header.AsSpan(4), width - 1);
            WriteUInt24(header.AsSpan(7), height - 1);
            chunks.Insert(0, ("VP8X", header));
        }
        else
        {
            chunks[vp8x].Data[0] |= 0x04;
        }

        chunks.Add(("XMP ", packet));
        return WebpChunks.Write(chunks, webp.Length + packet.Length + 32);
    }

    private static void WriteUInt24(Span<byte> target, int value)
    {
        target[0] = (byte)value;
        target[1] = (byte)(value >> 8);
        target[2] = (byte)(value >> 16);
    }

    /// <summary>PNG's chunk CRC-32 (also used by <see cref="PhotoMetadata"/>).</summary>
    internal static class Crc32
    {
        private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
        {
            var c = (uint)n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            return c;
        }).ToArray();

        public static uint Update(uint crc, ReadOnlySpan<byte> data)
        {
            foreach (var b in data)
            {
                crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            }

            return crc;
        }
    }
}
