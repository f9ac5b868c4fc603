using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Onnx;
using FaceSwap.Engine.Pipeline;
using OpenCvSharp;

namespace FaceSwap.Engine.Tests;

/// <summary>scrfd_2.5g and yoloface_8n decoding, with stand-in graphs whose outputs are constants of the public shapes.</summary>
public sealed class NeuralDetectorTests(EngineFixture fixture) : IClassFixture<EngineFixture>, IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("faceswap-detectors-");
    private readonly List<NeuralModels> loaded = [];

    [Fact]
    public void Scrfd_anchors_distances_and_the_shrink_to_640_are_undone()
    {
        // One confident anchor: stride 8, row 30, col 40, first of its two anchors; distances 5, 6, 7, 8 strides.
        var outputs = new float[9][];
        var counts = new[] { 80 * 80 * 2, 40 * 40 * 2, 20 * 20 * 2 };
        for (var s = 0; s < 3; s++)
        {
            outputs[s] = new float[counts[s]];
            outputs[s + 3] = new float[counts[s] * 4];
            outputs[s + 6] = new float[counts[s] * 10];
        }

        var index = (30 * 80 + 40) * 2;
        outputs[0][index] = 0.9f;
        outputs[3].AsSpan(index * 4, 4).SetValues(5f, 6f, 7f, 8f);
        outputs[1][7] = 0.3f; // below the 0.5 threshold
        var detector = Load<ScrfdDetector>(PublicModels.Scrfd, ScrfdModel(outputs));
        using var image = new Mat(960, 1280, MatType.CV_8UC3, Scalar.All(90));

        var face = Assert.Single(detector.Detect(image));

        // In the 640x480 canvas: (320 - 40, 240 - 48) to (320 + 56, 240 + 64); the frame is twice as large.
        Assert.Equal(new Rect2f(560, 384, 192, 224), face.Box);
        Assert.Equal(0.9f, face.Score);
    }

    [Fact]
    public void Yoloface_rows_are_read_as_centre_size_and_score()
    {
        var values = new float[20 * 8400];
        void Set(int row, params float[] v)
        {
            for (var k = 0; k < v.Length; k++)
            {
                values[k * 8400 + row] = v[k];
            }
        }

        Set(100, 320, 200, 100, 120, 0.9f);
        Set(101, 322, 201, 100, 120, 0.8f); // the same face again: removed by NMS
        Set(500, 100, 100, 50, 50, 0.4f); // below the threshold
        var detector = Load<YoloFaceDetector>(PublicModels.YoloFace, YoloModel(values));
        using var image = new Mat(1280, 1280, MatType.CV_8UC3, Scalar.All(90));

        var face = Assert.Single(detector.Detect(image));

        Assert.Equal(new Rect2f(540, 280, 200, 240), face.Box);
    }

    [Fact]
    public void A_selected_detector_finds_the_faces_the_pipeline_swaps()
    {
        var bytes = File.ReadAllBytes(TestAssets.Sample(1));
        using var frame = ImageCodec.Decode(bytes);
        var real = fixture.Engine.FindFaces(frame, new StageTimer())[0].Box;

        // A yoloface stand-in that reports exactly one face: the default detector's largest, in canvas pixels.
        var scale = Math.Min(1f, Math.Min(640f / frame.Width, 640f / frame.Height));
        var values = new float[20 * 8400];
        float[] row = [(real.X + real.Width / 2) * scale, (real.Y + real.Height / 2) * scale, real.Width * scale, real.Height * scale, 0.95f];
        for (var k = 0; k < row.Length; k++)
        {
            values[k * 8400] = row[k];
        }

        var detector = Load<YoloFaceDetector>(PublicModels.YoloFace, YoloModel(values));
        using var source = fixture.Engine.PrepareSource(fixture.CropFace(3, 0));

        var result = fixture.Engine.Swap(bytes, source, new SwapRequest { Detector = detector, MeasureAfter = false });

        var face = Assert.Single(result.Faces);
        Assert.True(face.Swapped);
        Assert.InRange(Math.Abs(face.Box[0] - real.X), 0, 4);
        Assert.InRange(Math.Abs(face.Box[2] - real.Width), 0, 4);
    }

    private T Load<T>(string name, byte[] model)
    {
        var models = PublicModelStandIns.Load(PublicModelStandIns.Directory(Path.Combine(folder.FullName, Guid.NewGuid().ToString("N")), new Dictionary<string, byte[]> { [name] = model }));
        loaded.Add(models);
        return Assert.IsType<T>(models.Resolve(new ModelSelection { Detector = name }).Detector);
    }

    private static byte[] ScrfdModel(float[][] outputs)
    {
        var b = new OnnxGraphBuilder("scrfd_stand_in").Input("input", 1, 3, "height", "width");
        var widths = new[] { 1, 1, 1, 4, 4, 4, 10, 10, 10 };
        for (var i = 0; i < 9; i++)
        {
            var rows = outputs[i].Length / widths[i];
            b.Initializer($"c{i}", outputs[i], rows, widths[i]).Node("Identity", [$"c{i}"], [$"out{i}"]).Output($"out{i}", rows, widths[i]);
        }

        return b.Build();
    }

    private static byte[] YoloModel(float[] values) => new OnnxGraphBuilder("yoloface_stand_in")
        .Input("input", 1, 3, 640, 640)
        .Initializer("c", values, 1, 20, 8400)
        .Node("Identity", ["c"], ["output0"])
        .Output("output0", 1, 20, 8400)
        .Build();

    public void Dispose()
    {
        loaded.ForEach(m => m.Dispose());
        folder.Delete(recursive: true);
    }
}

internal static class SpanExtensions
{
    public static void SetValues(this Span<float> span, params float[] values) => values.CopyTo(span);
}
