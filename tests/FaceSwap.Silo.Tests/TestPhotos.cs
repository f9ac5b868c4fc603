using System.Collections.Concurrent;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Tests;
using OpenCvSharp;

namespace FaceSwap.Silo.Tests;

/// <summary>The demo photos, downscaled to 960 px wide so jobs stay quick; every face is still found.</summary>
public static class TestPhotos
{
    private static readonly ConcurrentDictionary<int, byte[]> Cache = new();

    /// <summary>JPEG bytes of demo photo <paramref name="sample"/> (1 to 4), 960 px wide.</summary>
    public static byte[] Small(int sample) => Cache.GetOrAdd(sample, n =>
    {
        using var image = ImageCodec.Decode(File.ReadAllBytes(TestAssets.Sample(n)));
        using var small = new Mat();
        Cv2.Resize(image, small, new Size(960, (int)Math.Round(image.Height * 960.0 / image.Width)), interpolation: InterpolationFlags.Area);
        return ImageCodec.Encode(small, ImageFormat.Jpeg, 90);
    });

    /// <summary>
    /// The first face of demo photo 3, cropped and shrunk to 0.28: a source so small that the larger faces of the 960-px
    /// photos need it enlarged more than 1.5 times, so those faces are listed for review as <c>source_small</c> (above
    /// twice they would not be swapped at all).
    /// </summary>
    public static byte[] TinySource => Tiny.Value;

    private static readonly Lazy<byte[]> Tiny = new(() =>
    {
        using var engine = new EngineFixture();
        using var crop = ImageCodec.Decode(engine.CropFace(3, 0));
        using var small = new Mat();
        Cv2.Resize(crop, small, new Size((int)(crop.Width * 0.28), (int)(crop.Height * 0.28)), interpolation: InterpolationFlags.Area);
        return ImageCodec.Encode(small, ImageFormat.Jpeg, 95);
    });

    /// <summary>Bytes that claim to be a JPEG and are not.</summary>
    public static byte[] Corrupt { get; } = "this is not a photo, whatever its name says"u8.ToArray();

    /// <summary>Uploads <paramref name="count"/> photos under <paramref name="prefix"/>, some in subfolders; returns their relative paths.</summary>
    public static async Task<List<string>> UploadAsync(ApiHost host, string prefix, int count)
    {
        var paths = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var relative = i % 3 == 0 ? $"p{i:D2}.jpg" : $"set{i % 3}/p{i:D2}.jpg";
            await host.PutBytesAsync(prefix + relative, Small(i % 4 == 2 ? 4 : i % 4 + 1));
            paths.Add(relative);
        }

        return paths;
    }

    /// <summary>The leftmost face of a photo with a margin, as a user would crop a reference out of a group shot.</summary>
    public static byte[] LeftmostFaceOf(byte[] photo)
    {
        using var engine = FaceEngine.Load(TestAssets.Models);
        using var image = ImageCodec.Decode(photo);
        var face = engine.FindFaces(image, new StageTimer()).OrderBy(f => f.Box.X).First();
        var region = new Rect((int)(face.Box.X - face.Box.Width * 0.6), (int)(face.Box.Y - face.Box.Height * 0.6),
            (int)(face.Box.Width * 2.2), (int)(face.Box.Height * 2.2)).Intersect(new Rect(0, 0, image.Width, image.Height));
        using var crop = new Mat(image, region);
        return ImageCodec.Encode(crop, ImageFormat.Jpeg, 95);
    }
}
