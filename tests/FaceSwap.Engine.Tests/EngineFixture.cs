using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Pipeline;
using OpenCvSharp;

namespace FaceSwap.Engine.Tests;

/// <summary>One engine over the real embedded models, shared by a test class.</summary>
public sealed class EngineFixture : IDisposable
{
    /// <summary>Loads the engine.</summary>
    public EngineFixture() => Engine = FaceEngine.Load(TestAssets.Models);

    /// <summary>The engine.</summary>
    public FaceEngine Engine { get; }

    /// <summary>
    /// A source photo cut from a demo photo: the face at <paramref name="index"/> (left to right) with a margin,
    /// as JPEG bytes, the way a user would crop one face out of a group shot. <paramref name="margin"/> is the margin on
    /// each side as a fraction of the face box.
    /// </summary>
    public byte[] CropFace(int sample, int index, double margin = 0.6)
    {
        using var image = ImageCodec.Decode(File.ReadAllBytes(TestAssets.Sample(sample)));
        var face = Engine.FindFaces(image, new StageTimer()).OrderBy(f => f.Box.X).ElementAt(index);
        var region = new Rect((int)(face.Box.X - face.Box.Width * margin), (int)(face.Box.Y - face.Box.Height * margin),
            (int)(face.Box.Width * (1 + 2 * margin)), (int)(face.Box.Height * (1 + 2 * margin))).Intersect(new Rect(0, 0, image.Width, image.Height));
        using var crop = new Mat(image, region);
        return ImageCodec.Encode(crop, ImageFormat.Jpeg, 95);
    }

    /// <inheritdoc />
    public void Dispose() => Engine.Dispose();
}
