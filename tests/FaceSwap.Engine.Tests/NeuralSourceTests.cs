using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Recognition;
using FaceSwap.Engine.Swapping;
using OpenCvSharp;
using Xunit.Abstractions;

namespace FaceSwap.Engine.Tests;

/// <summary>The source face the neural swappers take their identity from: its crop and its alignment points.</summary>
public sealed class NeuralSourceTests(EngineFixture fixture, ITestOutputHelper output) : IClassFixture<EngineFixture>
{
    [Fact]
    public void The_source_crop_is_padded_enough_that_its_embedding_matches_the_full_photos()
    {
        // The embedded embedder stands in for ArcFace: both warp a 112 crop reaching well past the face, which must come
        // from real pixels, not from edge pixels copied by the warp's border mode.
        var before = new List<float>();
        var after = new List<float>();
        for (var sample = 1; sample <= 6; sample++)
        {
            using var image = ImageCodec.Decode(File.ReadAllBytes(TestAssets.Sample(sample)));
            foreach (var face in fixture.Engine.FindFaces(image, new StageTimer()))
            {
                var full = fixture.Engine.Embedder.Embed(image, face.Landmarks);
                before.Add(CropSimilarity(image, face.Landmarks, full, 0.15f));
                after.Add(CropSimilarity(image, face.Landmarks, full, SourceFace.CropPadding));
            }
        }

        output.WriteLine($"{after.Count} faces; 15 % margin: mean {before.Average():0.000}, worst {before.Min():0.000}; " +
            $"{SourceFace.CropPadding:P0} margin: mean {after.Average():0.000}, worst {after.Min():0.000}");
        Assert.True(after.Count >= 20, $"only {after.Count} demo faces found");
        Assert.True(after.Min() >= 0.99f, $"worst crop embedding is {after.Min():0.000} similar to the full photo's");
    }

    [Fact]
    public void A_prepared_source_knows_where_its_crop_lies_in_the_photo()
    {
        using var source = fixture.Engine.PrepareSource(File.ReadAllBytes(TestAssets.Sample(3)));

        for (var i = 0; i < 68; i++)
        {
            Assert.Equal(source.Face.Landmarks[i].X, source.Landmarks[i].X + source.Origin.X, 3);
            Assert.Equal(source.Face.Landmarks[i].Y, source.Landmarks[i].Y + source.Origin.Y, 3);
        }
    }

    private float CropSimilarity(Mat image, Point2f[] landmarks, float[] full, float padding)
    {
        var region = SourceFace.CropRegion(landmarks, image.Size(), padding);
        using var crop = new Mat(image, region);
        var local = landmarks.Select(p => new Point2f(p.X - region.X, p.Y - region.Y)).ToArray();
        return FaceEmbedder.Similarity(full, fixture.Engine.Embedder.Embed(crop, local));
    }
}
