using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Onnx;
using FaceSwap.Engine.Pipeline;
using OpenCvSharp;

namespace FaceSwap.Engine.Tests;

/// <summary>2dfan4 with a stand-in of its signature: crop transform, 64-grid points, score and fallback to the default.</summary>
public sealed class Fan68LandmarkerTests(EngineFixture fixture) : IClassFixture<EngineFixture>, IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("faceswap-2dfan4-");
    private readonly List<NeuralModels> loaded = [];

    [Fact]
    public void Grid_points_are_mapped_back_through_the_195_pixel_crop()
    {
        // Every point at the centre of the 64 grid is the centre of the crop, which is the centre of the box.
        var landmarker = Load(heatmapPeak: 0.9f);
        using var image = new Mat(400, 600, MatType.CV_8UC3, Scalar.All(80));

        var (points, score) = landmarker.Run(image, new Rect2f(100, 50, 200, 100));

        Assert.Equal(68, points.Length);
        Assert.All(points, p =>
        {
            Assert.Equal(200f, p.X, 3);
            Assert.Equal(100f, p.Y, 3);
        });
        Assert.Equal(1f, score, 4);
    }

    [Fact]
    public void A_confident_2dfan4_replaces_the_default_landmarks_and_an_unsure_one_does_not()
    {
        using var frame = ImageCodec.Decode(File.ReadAllBytes(TestAssets.Sample(1)));
        var timings = new StageTimer();
        var defaults = fixture.Engine.FindFaces(frame, timings);

        var confident = fixture.Engine.FindFaces(frame, timings, landmarker: Load(heatmapPeak: 0.9f));
        var unsure = fixture.Engine.FindFaces(frame, timings, landmarker: Load(heatmapPeak: 0.3f));

        Assert.Equal(defaults.Count, confident.Count);
        foreach (var face in confident)
        {
            var centre = new Point2f(face.Box.X + face.Box.Width / 2, face.Box.Y + face.Box.Height / 2);
            Assert.All(face.Landmarks, p => Assert.True(Math.Abs(p.X - centre.X) < 0.5 && Math.Abs(p.Y - centre.Y) < 0.5, $"{p} is not the box centre {centre}"));
        }

        Assert.Equal(defaults.Select(f => f.Landmarks), unsure.Select(f => f.Landmarks));
    }

    private Fan68Landmarker Load(float heatmapPeak)
    {
        var points = Enumerable.Range(0, 68).SelectMany(_ => new[] { 32f, 32f, 1f }).ToArray();
        var heatmaps = new float[68 * 64 * 64];
        for (var i = 0; i < 68; i++)
        {
            heatmaps[i * 64 * 64 + 100] = heatmapPeak;
        }

        var model = new OnnxGraphBuilder("fan_stand_in")
            .Input("input", 1, 3, 256, 256)
            .Initializer("points", points, 1, 68, 3)
            .Initializer("heatmaps", heatmaps, 1, 68, 64, 64)
            .Node("Identity", ["points"], ["landmarks"])
            .Node("Identity", ["heatmaps"], ["heatmap"])
            .Output("landmarks", 1, 68, 3)
            .Output("heatmap", 1, 68, 64, 64)
            .Build();
        var models = PublicModelStandIns.Load(PublicModelStandIns.Directory(Path.Combine(folder.FullName, Guid.NewGuid().ToString("N")),
            new Dictionary<string, byte[]> { [PublicModels.Fan68] = model }));
        loaded.Add(models);
        return Assert.IsType<Fan68Landmarker>(models.Resolve(new ModelSelection { Landmarker = PublicModels.Fan68 }).Landmarker);
    }

    public void Dispose()
    {
        loaded.ForEach(m => m.Dispose());
        folder.Delete(recursive: true);
    }
}
