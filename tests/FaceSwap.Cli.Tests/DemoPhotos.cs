using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Tests;
using OpenCvSharp;

namespace FaceSwap.Cli.Tests;

/// <summary>The demo photos as the CLI tests feed them to jobs: at half size (about 960 px wide), every face still found, quick to swap.</summary>
internal static class DemoPhotos
{
    /// <summary>
    /// Demo photo <paramref name="sample"/> at half size as a JPEG; with <paramref name="mark"/>, a small square in a
    /// corner coloured by it makes the photo's content its own, so no two come from the repeat-image cache.
    /// </summary>
    public static byte[] HalfSize(int sample, int? mark = null)
    {
        using var image = ImageCodec.Decode(File.ReadAllBytes(TestAssets.Sample(sample)));
        using var small = new Mat();
        Cv2.Resize(image, small, new Size(image.Width / 2, image.Height / 2), interpolation: InterpolationFlags.Area);
        if (mark is { } i)
        {
            Cv2.Rectangle(small, new Rect(0, 0, 6, 6), new Scalar(i * 15 % 256, i * 40 % 256, i * 90 % 256), -1);
        }

        return ImageCodec.Encode(small, ImageFormat.Jpeg);
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/>, making its folders; returns the path.</summary>
    public static string Write(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
