using System.Buffers.Binary;
using System.Text;

namespace FaceSwap.Engine.Imaging;

/// <summary>The chunks of a WebP file's RIFF container: read in order, and written back with the container's header.</summary>
internal static class WebpChunks
{
    /// <summary>
    /// The chunks after the RIFF/WEBP header, in order. Reading stops at a chunk that runs past the end of the file;
    /// <paramref name="complete"/> says whether the whole file was read.
    /// </summary>
    public static List<(string Type, byte[] Data)> Read(byte[] webp, out bool complete)
    {
        var chunks = new List<(string Type, byte[] Data)>();
        var at = 12;
        for (; at + 8 <= webp.Length;)
        {
            var size = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(at + 4)), int.MaxValue);
            if (size > webp.Length - at - 8)
            {
                complete = false;
                return chunks;
            }

            chunks.Add((Encoding.ASCII.GetString(webp, at, 4), webp.AsSpan(at + 8, size).ToArray()));
            at += 8 + size + (size & 1);
        }

        complete = at >= webp.Length;
        return chunks;
    }

    /// <summary>A WebP file of these chunks (each padded to an even length), its RIFF size filled in.</summary>
    public static byte[] Write(IEnumerable<(string Type, byte[] Data)> chunks, int capacity)
    {
        using var output = new MemoryStream(capacity);
        output.Write("RIFF\0\0\0\0WEBP"u8);
        Span<byte> size = stackalloc byte[4];
        foreach (var (type, data) in chunks)
        {
            output.Write(Encoding.ASCII.GetBytes(type));
            BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)data.Length);
            output.Write(size);
            output.Write(data);
            if ((data.Length & 1) == 1)
            {
                output.WriteByte(0);
            }
        }

        var bytes = output.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(bytes.Length - 8));
        return bytes;
    }
}
