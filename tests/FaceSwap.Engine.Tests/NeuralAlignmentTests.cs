using FaceSwap.Engine.Blending;
using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Onnx;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Swapping;
using OpenCvSharp;

namespace FaceSwap.Engine.Tests;

/// <summary>
/// The points and crops the neural path aligns with (detector keypoints, 2dfan4 on the unclipped box and rotated, the
/// source's landmarker), pixel boost and mask padding, with stand-in graphs of the public models' signatures.
/// </summary>
public sealed class NeuralAlignmentTests(EngineFixture fixture) : IClassFixture<EngineFixture>, IDisposable
{
    private static readonly float[] Green = [0f, 1f, 0f];

    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("faceswap-alignment-");
    private readonly List<NeuralModels> loaded = [];

    [Fact]
    public void Scrfd_keypoints_become_the_alignment_points_and_a_box_cut_by_the_edge_is_kept_whole_for_2dfan4()
    {
        // One anchor at stride 8, row 2, col 4 (canvas (32, 16)); its box reaches 24 px above the canvas's top edge.
        var outputs = new float[9][];
        var counts = new[] { 80 * 80 * 2, 40 * 40 * 2, 20 * 20 * 2 };
        for (var s = 0; s < 3; s++)
        {
            outputs[s] = new float[counts[s]];
            outputs[s + 3] = new float[counts[s] * 4];
            outputs[s + 6] = new float[counts[s] * 10];
        }

        var index = (2 * 80 + 4) * 2;
        outputs[0][index] = 0.9f;
        outputs[3].AsSpan(index * 4, 4).SetValues(2f, 5f, 3f, 4f);
        outputs[6].AsSpan(index * 10, 10).SetValues(-1f, -1f, 1f, -1f, 0f, 0.5f, -0.5f, 1.5f, 0.5f, 1.5f);
        var detector = Load(new ModelSelection { Detector = PublicModels.Scrfd }, PublicModels.Scrfd, ScrfdModel(outputs)).Detector;
        using var image = new Mat(480, 640, MatType.CV_8UC3, Scalar.All(90));

        var face = Assert.Single(detector!.Detect(image));

        Assert.Equal(new Rect2f(16, -24, 40, 72), face.UnclippedBox);
        Assert.Equal(new Rect2f(16, 0, 40, 48), face.Box);
        Assert.Equal([new(24, 8), new(40, 8), new(32, 20), new(28, 28), new(36, 28)], face.AlignmentPoints);
    }

    [Fact]
    public void Yoloface_keypoints_become_the_alignment_points_and_zeros_are_ignored()
    {
        var values = new float[20 * 8400];
        void Set(int row, params float[] v)
        {
            for (var k = 0; k < v.Length; k++)
            {
                values[k * 8400 + row] = v[k];
            }
        }

        Set(0, 320, 200, 100, 120, 0.9f, 300, 180, 1, 340, 180, 1, 320, 200, 1, 305, 225, 1, 335, 225, 1);
        Set(1, 100, 500, 80, 80, 0.9f);
        var detector = Load(new ModelSelection { Detector = PublicModels.YoloFace }, PublicModels.YoloFace, YoloModel(values)).Detector;
        using var image = new Mat(640, 640, MatType.CV_8UC3, Scalar.All(90));

        var faces = detector!.Detect(image).OrderBy(f => f.Box.Y).ToList();

        Assert.Equal([new(300, 180), new(340, 180), new(320, 200), new(305, 225), new(335, 225)], faces[0].AlignmentPoints);
        Assert.Empty(faces[1].AlignmentPoints);
        Assert.Null(faces[0].UnclippedBox);
    }

    [Fact]
    public void A_neural_swap_aligns_with_the_detectors_keypoints()
    {
        var bytes = File.ReadAllBytes(TestAssets.Sample(1));
        using var before = ImageCodec.Decode(bytes);
        var real = fixture.Engine.FindFaces(before, new StageTimer())[0];

        // A yoloface stand-in reporting that face with keypoints half its crop's side to the right of its landmarks'.
        using var unshifted = FaceAlignment.Estimate(real.Landmarks, WarpTemplates.Arcface128, 128);
        var side = Distance(InverseCorner(unshifted, 1, 0), InverseCorner(unshifted, 0, 0));
        var five = FaceGeometry.FivePoints(real.Landmarks).Select(p => new Point2f(p.X + side / 2, p.Y)).ToArray();
        var scale = Math.Min(1f, Math.Min(640f / before.Width, 640f / before.Height));
        var values = new float[20 * 8400];
        float[] row = [(real.Box.X + real.Box.Width / 2) * scale, (real.Box.Y + real.Box.Height / 2) * scale, real.Box.Width * scale, real.Box.Height * scale, 0.95f,
            .. five.SelectMany(p => new[] { p.X * scale, p.Y * scale, 1f })];
        for (var k = 0; k < row.Length; k++)
        {
            values[k * 8400] = row[k];
        }

        var files = new Dictionary<string, byte[]>
        {
            [PublicModels.YoloFace] = YoloModel(values),
            [PublicModels.Inswapper128] = PublicModelStandIns.Swapper(128, PublicModelStandIns.Zero, PublicModelStandIns.One, colour: Green, emap: PublicModelStandIns.ShiftEmap()),
            [PublicModels.ArcFace] = PublicModelStandIns.ArcFace(),
        };
        var stack = LoadAll(new ModelSelection { Detector = PublicModels.YoloFace, Swapper = PublicModels.Inswapper128 }, files);
        using var source = fixture.Engine.PrepareSource(fixture.CropFace(3, 0));

        var result = fixture.Engine.Swap(bytes, source, new SwapRequest { Detector = stack.Detector, Swapper = stack.Swapper, MeasureAfter = false, OutputFormat = ImageFormat.Png });
        using var after = ImageCodec.Decode(result.Output);

        // The green crop sits where the keypoints put it: inside its mask, at a pixel that a crop aligned with the
        // landmarks would not reach, the photo turns green.
        Assert.True(Assert.Single(result.Faces).Swapped);
        var nose = five[2];
        Assert.Equal(new Vec3b(0, 255, 0), after.At<Vec3b>((int)nose.Y, (int)nose.X));
        using var shifted = FaceAlignment.Estimate(five, WarpTemplates.Arcface128, 128);
        var probe = InverseCorner(shifted, 0.85, 0.5);
        var inUnshifted = unshifted.At<double>(0, 0) * probe.X + unshifted.At<double>(0, 1) * probe.Y + unshifted.At<double>(0, 2);
        Assert.True(inUnshifted > 128, $"the probe lies at x = {inUnshifted:0} in a crop aligned with the landmarks");
        var (x, y) = ((int)probe.X, (int)probe.Y);
        var (was, now) = (before.At<Vec3b>(y, x), after.At<Vec3b>(y, x));
        Assert.True(now.Item1 - was.Item1 > 30 && now.Item0 < was.Item0 && now.Item2 < was.Item2, $"({x}, {y}) went from {was} to {now}, not towards green");
    }

    [Fact]
    public void Fan68_is_placed_on_the_unclipped_box_and_rotates_a_face_turned_past_45_degrees()
    {
        var landmarker = Load(new ModelSelection { Landmarker = PublicModels.Fan68 }, PublicModels.Fan68, FanModel(UprightGrid())).Landmarker!;
        using var image = new Mat(400, 600, MatType.CV_8UC3, Scalar.All(80));

        // The clipped box (0, 0, 100, 150) of a face whose detector box is (-100, -50, 200, 200): the nose, 8 crop pixels
        // below the crop's centre, lands below the whole box's centre (0, 50), not the clipped box's (50, 75).
        var cut = new DetectedFace(new Rect2f(0, 0, 100, 150), 0.9f) { UnclippedBox = new Rect2f(-100, -50, 200, 200) };
        var nose = landmarker.Locate(image, cut).Landmarks[30];
        Assert.Equal(0f, nose.X, 2);
        Assert.Equal(50f + 8 * 200 / 195f, nose.Y, 2);

        // Keypoints whose eye line points down (a face turned 90 degrees clockwise): the upright grid is turned back, so
        // the located eyes line up vertically too; at 30 degrees the crop is not turned.
        var box = new Rect2f(200, 100, 200, 200);
        var located = landmarker.Locate(image, new DetectedFace(box, 0.9f) { AlignmentPoints = Turned(box, 90) });
        var eyes = located.AlignmentPoints;
        Assert.Equal(eyes[0].X, eyes[1].X, 2);
        Assert.True(eyes[1].Y > eyes[0].Y, $"eye line {eyes[0]} -> {eyes[1]} does not point down");
        var slight = landmarker.Locate(image, new DetectedFace(box, 0.9f) { AlignmentPoints = Turned(box, 30) }).AlignmentPoints;
        Assert.Equal(slight[0].Y, slight[1].Y, 2);
    }

    [Fact]
    public void The_source_face_is_aligned_with_the_selected_landmarker()
    {
        var files = new Dictionary<string, byte[]>
        {
            [PublicModels.Fan68] = FanModel(UprightGrid()),
            [PublicModels.Inswapper128] = PublicModelStandIns.Swapper(128, PublicModelStandIns.Zero, PublicModelStandIns.One, emap: PublicModelStandIns.ShiftEmap()),
            [PublicModels.ArcFace] = PublicModelStandIns.ArcFace(),
        };
        var stack = LoadAll(new ModelSelection { Swapper = PublicModels.Inswapper128, Landmarker = PublicModels.Fan68 }, files);
        var swapper = Assert.IsType<NeuralSwapper>(stack.Swapper);
        using var source = fixture.Engine.PrepareSource(fixture.CropFace(3, 0));

        var points = swapper.SourcePoints(source);

        var box = new Rect2f(source.Face.Box.X - source.Origin.X, source.Face.Box.Y - source.Origin.Y, source.Face.Box.Width, source.Face.Box.Height);
        var fan = ((Fan68Landmarker)stack.Landmarker!).Run(source.Crop, box).Points;
        Assert.Equal(FaceGeometry.FivePoints(fan), points);
        Assert.NotEqual(FaceGeometry.FivePoints(source.Landmarks), points);
    }

    [Fact]
    public void Pixel_boost_swaps_interleaved_tiles_and_puts_each_pixel_back_where_it_came_from()
    {
        var files = new Dictionary<string, byte[]>
        {
            [PublicModels.Inswapper128] = MirrorSwapper(128),
            [PublicModels.ArcFace] = PublicModelStandIns.ArcFace(),
        };
        var swapper = Assert.IsType<NeuralSwapper>(LoadAll(new ModelSelection { Swapper = PublicModels.Inswapper128, PixelBoost = 512 }, files).Swapper);
        using var crop = new Mat(512, 512, MatType.CV_8UC3);
        Cv2.Randu(crop, Scalar.All(0), Scalar.All(256));

        using var swapped = swapper.Run(crop, new float[512]);

        // Tile (a, b) holds crop[y*4 + a, x*4 + b]; the stand-in mirrors each tile left to right, so pixel (y*4 + a,
        // x*4 + b) comes back from crop[y*4 + a, (127 - x)*4 + b]. Contiguous blocks would put other pixels there.
        Assert.Equal(new Size(512, 512), swapped.Size());
        for (var r = 0; r < 512; r++)
        {
            for (var c = 0; c < 512; c++)
            {
                var (x, b) = (c / 4, c % 4);
                Assert.Equal(crop.At<Vec3b>(r, (127 - x) * 4 + b), swapped.At<Vec3b>(r, c));
            }
        }
    }

    [Fact]
    public void The_default_pixel_boost_follows_the_face_size()
    {
        var files = new Dictionary<string, byte[]>
        {
            [PublicModels.Inswapper128] = PublicModelStandIns.Swapper(128, PublicModelStandIns.Zero, PublicModelStandIns.One, emap: PublicModelStandIns.ShiftEmap()),
            [PublicModels.ArcFace] = PublicModelStandIns.ArcFace(),
        };
        var swapper = Assert.IsType<NeuralSwapper>(LoadAll(new ModelSelection { Swapper = PublicModels.Inswapper128 }, files).Swapper);
        Point2f[] Face(float eyes) => [new(500, 500), new(500 + eyes, 500), new(500 + eyes / 2, 500 + eyes * 0.5f), new(500 + eyes * 0.1f, 500 + eyes), new(500 + eyes * 0.9f, 500 + eyes)];

        // The arcface_128 crop spans about 3.6 eye distances of the photo.
        Assert.Equal(128, swapper.PixelBoostFor(new DetectedFace(default, 1) { AlignmentPoints = Face(30) }));
        Assert.Equal(256, swapper.PixelBoostFor(new DetectedFace(default, 1) { AlignmentPoints = Face(60) }));
        Assert.Equal(512, swapper.PixelBoostFor(new DetectedFace(default, 1) { AlignmentPoints = Face(130) }));
        Assert.Equal(512, swapper.PixelBoostFor(new DetectedFace(default, 1) { AlignmentPoints = Face(400) }));
        Assert.Equal(("pixelBoost", "simswap_256 works at a pixel boost of 256 or 512"), new ModelSelection { Swapper = PublicModels.SimSwap256, PixelBoost = 384 }.Validate());
        Assert.Equal("pixelBoost", new ModelSelection { PixelBoost = 200 }.Validate()?.Field);
    }

    [Fact]
    public void Mask_padding_keeps_that_share_of_the_crop_out_of_the_mask()
    {
        using var mask = FaceAlignment.BoxMask(128, 0.3f, new MaskPadding(0, 0, 40, 25));

        // Bottom 40 % (from row 77) and left 25 % (to column 32) are out, not just the blur border of 9 px.
        Assert.True(mask.At<float>(100, 64) < 1e-3f);
        Assert.True(mask.At<float>(64, 20) < 0.05f);
        Assert.True(mask.At<float>(40, 64) > 0.95f);
        Assert.Equal(("maskPadding", "mask padding must be between 0 and 100 (percent) on every side"),
            new ModelSelection { Paste = new PasteOptions { MaskPadding = new MaskPadding(0, 0, 101, 0) } }.Validate());
        Assert.Equal(new MaskPadding(5, 10, 5, 10), MaskPadding.From([5, 10]));
    }

    [Fact]
    public void With_bottom_mask_padding_the_targets_mouth_stays_its_own()
    {
        var files = new Dictionary<string, byte[]>
        {
            [PublicModels.Inswapper128] = PublicModelStandIns.Swapper(128, PublicModelStandIns.Zero, PublicModelStandIns.One, colour: Green, emap: PublicModelStandIns.ShiftEmap()),
            [PublicModels.ArcFace] = PublicModelStandIns.ArcFace(),
        };
        var paste = new PasteOptions { MaskBlur = 0.1f, MaskPadding = new MaskPadding(0, 0, 35, 0) };
        var stack = LoadAll(new ModelSelection { Swapper = PublicModels.Inswapper128, Paste = paste }, files);
        var bytes = File.ReadAllBytes(TestAssets.Sample(1));
        using var before = ImageCodec.Decode(bytes);
        using var source = fixture.Engine.PrepareSource(fixture.CropFace(3, 0));

        var result = fixture.Engine.Swap(bytes, source, new SwapRequest { Swapper = stack.Swapper, MeasureAfter = false, OutputFormat = ImageFormat.Png });
        using var after = ImageCodec.Decode(result.Output);

        foreach (var face in fixture.Engine.FindFaces(before, new StageTimer()))
        {
            var eye = FaceGeometry.LeftEye(face.Landmarks);
            var lip = face.Landmarks[57];
            Assert.Equal(new Vec3b(0, 255, 0), after.At<Vec3b>((int)eye.Y, (int)eye.X));
            Assert.Equal(before.At<Vec3b>((int)lip.Y, (int)lip.X), after.At<Vec3b>((int)lip.Y, (int)lip.X));
        }
    }

    private static Point2f InverseCorner(Mat affine, double u, double v)
    {
        using var inverse = new Mat();
        Cv2.InvertAffineTransform(affine, inverse);
        var (x, y) = (u * 128, v * 128);
        return new Point2f(
            (float)(inverse.At<double>(0, 0) * x + inverse.At<double>(0, 1) * y + inverse.At<double>(0, 2)),
            (float)(inverse.At<double>(1, 0) * x + inverse.At<double>(1, 1) * y + inverse.At<double>(1, 2)));
    }

    private static float Distance(Point2f a, Point2f b) => MathF.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));

    /// <summary>Five keypoints of a face in <paramref name="box"/> turned clockwise (on screen) by <paramref name="degrees"/>.</summary>
    private static Point2f[] Turned(Rect2f box, double degrees)
    {
        var (cx, cy) = (box.X + box.Width / 2, box.Y + box.Height / 2);
        var (c, s) = (Math.Cos(degrees * Math.PI / 180), Math.Sin(degrees * Math.PI / 180));
        Point2f Turn(float dx, float dy) => new((float)(cx + c * dx - s * dy), (float)(cy + s * dx + c * dy));
        return [Turn(-30, -20), Turn(30, -20), Turn(0, 5), Turn(-20, 30), Turn(20, 30)];
    }

    /// <summary>2dfan4 grid points of an upright face: eyes at (24, 26) and (40, 26), nose (32, 34), mouth (26, 44) and (38, 44).</summary>
    private static float[] UprightGrid()
    {
        var points = new float[68 * 3];
        for (var i = 0; i < 68; i++)
        {
            var (x, y) = i switch
            {
                >= 36 and < 42 => (24f, 26f),
                >= 42 and < 48 => (40f, 26f),
                30 => (32f, 34f),
                48 => (26f, 44f),
                54 => (38f, 44f),
                _ => (32f, 33f),
            };
            (points[3 * i], points[3 * i + 1], points[3 * i + 2]) = (x, y, 1f);
        }

        return points;
    }

    private static byte[] FanModel(float[] points)
    {
        var heatmaps = new float[68 * 64 * 64];
        for (var i = 0; i < 68; i++)
        {
            heatmaps[i * 64 * 64 + 100] = 0.9f;
        }

        return new OnnxGraphBuilder("fan_stand_in")
            .Input("input", 1, 3, 256, 256)
            .Initializer("points", points, 1, 68, 3)
            .Initializer("heatmaps", heatmaps, 1, 68, 64, 64)
            .Node("Identity", ["points"], ["landmarks"])
            .Node("Identity", ["heatmaps"], ["heatmap"])
            .Output("landmarks", 1, 68, 3)
            .Output("heatmap", 1, 68, 64, 64)
            .Build();
    }

    /// <summary>An inswapper stand-in that returns its target mirrored left to right (plus 0 x the source).</summary>
    private static byte[] MirrorSwapper(int size) => new OnnxGraphBuilder("mirror_stand_in")
        .Input("target", 1, 3, size, size)
        .Input("source", 1, 512)
        .Output("output", 1, 3, size, size)
        .Initializer("zero", [0f], 1)
        .Initializer("four_d", [1L, 1L, 1L, 1L], 4)
        .Initializer("starts", [-1L], 1)
        .Initializer("ends", [-(size + 1L)], 1)
        .Initializer("axes", [3L], 1)
        .Initializer("steps", [-1L], 1)
        .Node("ReduceMean", ["source"], ["source_mean"], ("axes", new[] { 1 }), ("keepdims", 1))
        .Node("Reshape", ["source_mean", "four_d"], ["source_4d"])
        .Node("Mul", ["source_4d", "zero"], ["source_term"])
        .Node("Slice", ["target", "starts", "ends", "axes", "steps"], ["mirrored"])
        .Node("Add", ["mirrored", "source_term"], ["output"])
        .Initializer("emap", PublicModelStandIns.ShiftEmap(), 512, 512)
        .Build();

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

    private NeuralStack Load(ModelSelection selection, string name, byte[] model) => LoadAll(selection, new Dictionary<string, byte[]> { [name] = model });

    private NeuralStack LoadAll(ModelSelection selection, Dictionary<string, byte[]> files)
    {
        var models = PublicModelStandIns.Load(PublicModelStandIns.Directory(Path.Combine(folder.FullName, Guid.NewGuid().ToString("N")), files));
        loaded.Add(models);
        return models.Resolve(selection);
    }

    public void Dispose()
    {
        loaded.ForEach(m => m.Dispose());
        folder.Delete(recursive: true);
    }
}
