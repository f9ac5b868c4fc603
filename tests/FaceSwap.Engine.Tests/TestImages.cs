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
}
