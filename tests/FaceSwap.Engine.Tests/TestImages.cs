using System.Buffers.Binary;
using System.IO.Compression;
using FaceSwap.Engine.Imaging;
using OpenCvSharp;

namespace FaceSwap.Engine.Tests;

/// <summary>Small synthetic images for codec and error tests.</summary>
public static class TestImages
{
    /// <summary>A smooth colour gradient (no face) as JPEG.</summary>
    public static byte[] Gradient(int width, int height, ImageFormat format = ImageFormat.Jpeg)
    {
        using var image = new Mat(height, width, MatType.CV_8UC3);
        for (var y = 0; y < height; y += 8)
        {
            Cv2.Rectangle(image, new Rect(0, y, width, 8), new Scalar(y * 255 / height, 128, 255 - y * 255 / height), -1);
        }

        return ImageCodec.Encode(image, format);
    }

    /// <summary>
    /// A JPEG with an EXIF APP1 segment whose Orientation tag is <paramref name="orientation"/>, inserted after SOI.
    /// </summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        // TIFF header (big endian), one IFD entry: tag 0x0112 (Orientation), type SHORT, count 1, value.
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8,
            0, 1,
            0x01, 0x12, 0, 3, 0, 0, 0, 1, (byte)(orientation >> 8), (byte)orientation, 0, 0,
            0, 0, 0, 0,
        ];
        byte[] exif = [.. "Exif\0\0"u8, .. tiff];
        var length = exif.Length + 2;
        byte[] segment = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. exif];
        return [jpeg[0], jpeg[1], .. segment, .. jpeg[2..]];
    }

    /// <summary>A complete 1-bit greyscale PNG, rows deflated as they are made (never held whole).</summary>
    public static byte[] OneBitPng(int width, int height)
    {
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true))
        {
            var row = new byte[1 + (width + 7) / 8];
            for (var y = 0; y < height; y++)
            {
                z.Write(row);
            }
        }

        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 1; // bit depth
        ihdr[9] = 0; // greyscale
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", idat.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        byte[] typed = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        png.Write(word);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return crc ^ 0xFFFFFFFFu;
    }
}
