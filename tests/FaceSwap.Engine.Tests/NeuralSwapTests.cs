using FaceSwap.Engine.Blending;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Swapping;
using OpenCvSharp;

namespace FaceSwap.Engine.Tests;

/// <summary>
/// The inswapper, simswap and gfpgan paths through the whole pipeline on a real demo photo, with stand-in graphs of
/// the public models' signatures: alignment, normalisation, emap, inference and paste-back.
/// </summary>
public sealed class NeuralSwapTests(EngineFixture fixture) : IClassFixture<EngineFixture>, IDisposable
{
    private static readonly float[] Green = [0f, 1f, 0f];

    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("faceswap-neural-");

    [Theory]
    [InlineData(PublicModels.Inswapper128, PixelBoostTiles.Auto)]
    [InlineData(PublicModels.SimSwap256, PixelBoostTiles.Auto)]
    [InlineData(PublicModels.Inswapper128, 128)]
    [InlineData(PublicModels.Inswapper128, 512)]
    [InlineData(PublicModels.SimSwap256, 512)]
    public void A_swapper_that_returns_its_aligned_input_leaves_the_photo_as_it_was(string swapper, int pixelBoost)
    {
        // With the model's own normalisation undone by the stand-in, only alignment and paste-back errors remain.
        var (mean, std) = swapper == PublicModels.Inswapper128 ? (PublicModelStandIns.Zero, PublicModelStandIns.One) : (PublicModelStandIns.ImageNetMean, PublicModelStandIns.ImageNetStd);
        var size = swapper == PublicModels.Inswapper128 ? 128 : 256;
        var emap = swapper == PublicModels.Inswapper128 ? PublicModelStandIns.ShiftEmap() : null;
        var (before, after, faces) = SwapSample(swapper, PublicModelStandIns.Swapper(size, mean, std, emap: emap), pixelBoost: pixelBoost);

        foreach (var face in faces)
        {
            using var region = new Mat(before, ToRect(face.Box));
            using var swapped = new Mat(after, ToRect(face.Box));
            var diff = MeanAbsDiff(region, swapped);
            Assert.True(diff < 6, $"{swapper}: face at {face.Box} changed by {diff:0.0} on average although the model returned its input");
        }
    }

    [Theory]
    [InlineData(PublicModels.Inswapper128, false)]
    [InlineData(PublicModels.SimSwap256, false)]
    [InlineData(PublicModels.Inswapper128, true)]
    public void A_swapped_face_is_pasted_where_the_face_is_and_nowhere_else(string swapper, bool poisson)
    {
        var size = swapper == PublicModels.Inswapper128 ? 128 : 256;
        var emap = swapper == PublicModels.Inswapper128 ? PublicModelStandIns.ShiftEmap() : null;
        var model = PublicModelStandIns.Swapper(size, PublicModelStandIns.Zero, PublicModelStandIns.One, colour: Green, emap: emap);
        var paste = new PasteOptions { Poisson = poisson };
        var (before, after, faces) = SwapSample(swapper, model, paste);

        var template = swapper == PublicModels.Inswapper128 ? WarpTemplates.Arcface128 : WarpTemplates.Arcface112V1;
        using var touched = new Mat(before.Size(), MatType.CV_8UC1, Scalar.All(0));
        foreach (var face in faces)
        {
            // Where the model's crop lands in the frame: the box of its four corners under the inverse transform.
            using var affine = FaceAlignment.Estimate(face.Landmarks, template, size);
            var box = PasteBox(affine, size, before);
            using (var area = new Mat(touched, box))
            {
                area.SetTo(Scalar.All(255));
            }

            // The face centre (between eyes and mouth) is now the model's green: pasted at 100 % by default.
            var centre = new Point((int)face.Landmarks[30].X, (int)face.Landmarks[30].Y);
            var pixel = after.At<Vec3b>(centre.Y, centre.X);
            if (poisson)
            {
                // Poisson keeps the pasted crop's gradients (none: it is flat) and the frame's colours at the mask
                // edge, so the face's texture is smoothed away rather than turned green.
                var patch = new Rect(centre.X - 10, centre.Y - 10, 20, 20);
                Assert.True(Texture(after, patch) < 0.5 * Texture(before, patch), $"the texture at the nose tip is still there ({Texture(after, patch):0.0} vs {Texture(before, patch):0.0})");
            }
            else
            {
                Assert.Equal(new Vec3b(0, 255, 0), pixel);
            }
        }

        using var difference = new Mat();
        Cv2.Absdiff(before, after, difference);
        using var grey = new Mat();
        Cv2.CvtColor(difference, grey, ColorConversionCodes.BGR2GRAY);
        using var outside = new Mat();
        Cv2.BitwiseNot(touched, outside);
        using var changedOutside = new Mat();
        Cv2.BitwiseAnd(grey, outside, changedOutside);
        Assert.Equal(0, Cv2.CountNonZero(changedOutside));
        Assert.True(Cv2.CountNonZero(grey) > faces.Count * 1000, "the faces changed");
    }

    [Fact]
    public void A_lower_blend_ratio_keeps_more_of_the_original_face()
    {
        var model = PublicModelStandIns.Swapper(128, PublicModelStandIns.Zero, PublicModelStandIns.One, colour: Green, emap: PublicModelStandIns.ShiftEmap());
        var (_, full, faces) = SwapSample(PublicModels.Inswapper128, model, new PasteOptions { BlendRatio = 1f });
        var (_, half, _) = SwapSample(PublicModels.Inswapper128, model, new PasteOptions { BlendRatio = 0.5f });

        var nose = faces[0].Landmarks[30];
        Assert.Equal(new Vec3b(0, 255, 0), full.At<Vec3b>((int)nose.Y, (int)nose.X));
        Assert.InRange(half.At<Vec3b>((int)nose.Y, (int)nose.X).Item1, 120, 250);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gfpgan_enhances_each_swapped_face_inside_its_region(bool withWeight)
    {
        var files = StandIns(PublicModels.Inswapper128, PublicModelStandIns.Swapper(128, PublicModelStandIns.Zero, PublicModelStandIns.One, emap: PublicModelStandIns.ShiftEmap()));
        files[PublicModels.Gfpgan14] = PublicModelStandIns.Gfpgan(withWeight);
        using var models = PublicModelStandIns.Load(PublicModelStandIns.Directory(folder.FullName, files));
        var stack = models.Resolve(new ModelSelection { Swapper = PublicModels.Inswapper128, Enhancer = PublicModels.Gfpgan14 });
        Assert.NotNull(stack.Enhancer);

        var (before, after, faces) = Run(stack);

        // The stand-in inverts colours: at 80% blend the nose tip moves towards 255 - original.
        foreach (var face in faces)
        {
            var nose = face.Landmarks[30];
            var original = before.At<Vec3b>((int)nose.Y, (int)nose.X);
            var enhanced = after.At<Vec3b>((int)nose.Y, (int)nose.X);
            for (var c = 0; c < 3; c++)
            {
                var expected = 0.2 * original[c] + 0.8 * (255 - original[c]);
                Assert.InRange(enhanced[c], expected - 12, expected + 12);
            }
        }

        // Far from every face (the top-left corner) nothing changed.
        using var cornerBefore = new Mat(before, new Rect(0, 0, 40, 40));
        using var cornerAfter = new Mat(after, new Rect(0, 0, 40, 40));
        Assert.Equal(0, MeanAbsDiff(cornerBefore, cornerAfter));
    }

    [Fact]
    public void The_inswapper_source_latent_is_the_raw_embedding_times_the_emap_over_its_norm()
    {
        var files = StandIns(PublicModels.Inswapper128, PublicModelStandIns.Swapper(128, PublicModelStandIns.Zero, PublicModelStandIns.One, emap: PublicModelStandIns.ShiftEmap()));
        using var models = PublicModelStandIns.Load(PublicModelStandIns.Directory(folder.FullName, files));
        var swapper = Assert.IsType<NeuralSwapper>(models.Resolve(new ModelSelection { Swapper = PublicModels.Inswapper128 }).Swapper);

        var raw = Enumerable.Range(0, 512).Select(i => i % 7 - 3f).ToArray();
        var norm = MathF.Sqrt(raw.Sum(v => v * v));
        var latent = swapper.SourceLatent(raw);

        Assert.Equal(512, latent.Length);
        for (var j = 0; j < 512; j++)
        {
            Assert.Equal(2 * raw[(j + 511) % 512] / norm, latent[j], 5);
        }

        // Not re-normalised after the emap (FaceFusion's convention): the shift emap doubles the length.
        Assert.Equal(2f, MathF.Sqrt(latent.Sum(v => v * v)), 3);
    }

    [Fact]
    public void The_simswap_source_is_the_embedding_converted_by_crossface_simswap_then_l2_normalised()
    {
        var files = StandIns(PublicModels.SimSwap256, PublicModelStandIns.Swapper(256, PublicModelStandIns.ImageNetMean, PublicModelStandIns.ImageNetStd));
        using var models = PublicModelStandIns.Load(PublicModelStandIns.Directory(folder.FullName, files));
        var swapper = Assert.IsType<NeuralSwapper>(models.Resolve(new ModelSelection { Swapper = PublicModels.SimSwap256 }).Swapper);

        var latent = swapper.SourceLatent([3f, 4f, .. new float[510]]);

        // The stand-in converter shifts by one place (and doubles): [3, 4, 0, ...] -> [0, 6, 8, ...] -> [0, 0.6, 0.8, ...].
        Assert.Equal(0f, latent[0], 5);
        Assert.Equal(0.6f, latent[1], 5);
        Assert.Equal(0.8f, latent[2], 5);
    }

    [Fact]
    public void Simswap_without_its_embedding_converter_is_refused_as_missing_naming_the_converter()
    {
        var files = StandIns(PublicModels.SimSwap256, PublicModelStandIns.Swapper(256, PublicModelStandIns.ImageNetMean, PublicModelStandIns.ImageNetStd));
        files.Remove(PublicModels.CrossfaceSimSwap);
        var directory = PublicModelStandIns.Directory(folder.FullName, files);
        var catalog = new Models.ModelCatalog { Models = [.. directory.Catalog.Models, new Models.ModelEntry(PublicModels.CrossfaceSimSwap, "crossface_simswap.onnx", "embedding converter", null, null, "test", null, null)] };
        using var models = PublicModelStandIns.Load(new Models.ModelDirectory(folder.FullName, catalog));

        var error = Assert.Throws<FaceSwapException>(() => models.Resolve(new ModelSelection { Swapper = PublicModels.SimSwap256 }));

        Assert.Equal(FaceSwapErrorKind.ModelMissing, error.Kind);
        Assert.Equal("model_missing", error.Code);
        Assert.Contains("simswap_256 needs FaceFusion's embedding converter crossface_simswap", error.Message, StringComparison.Ordinal);
        Assert.Contains("crossface_simswap.onnx is missing from", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_swapped_crop_has_the_models_size_and_pixel_range()
    {
        var files = StandIns(PublicModels.SimSwap256, PublicModelStandIns.Swapper(256, PublicModelStandIns.Zero, PublicModelStandIns.One, colour: [2f, -1f, 0.5f]));
        using var models = PublicModelStandIns.Load(PublicModelStandIns.Directory(folder.FullName, files));
        var swapper = Assert.IsType<NeuralSwapper>(models.Resolve(new ModelSelection { Swapper = PublicModels.SimSwap256 }).Swapper);
        using var crop = new Mat(256, 256, MatType.CV_8UC3, Scalar.All(128));

        using var output = swapper.Run(crop, new float[512]);

        // Out-of-range model values are clipped to [0, 1] before scaling: R 2 -> 255, G -1 -> 0, B 0.5 -> 128 (BGR order).
        Assert.Equal(new Size(256, 256), output.Size());
        Assert.Equal(MatType.CV_8UC3, output.Type());
        Assert.Equal(new Vec3b(128, 0, 255), output.At<Vec3b>(100, 100));
    }

    private static Dictionary<string, byte[]> StandIns(string swapper, byte[] model)
    {
        var files = new Dictionary<string, byte[]> { [swapper] = model, [PublicModels.ArcFace] = PublicModelStandIns.ArcFace() };
        if (swapper == PublicModels.SimSwap256)
        {
            files[PublicModels.CrossfaceSimSwap] = PublicModelStandIns.Converter();
        }

        return files;
    }

    private (Mat Before, Mat After, IReadOnlyList<Detection.DetectedFace> Faces) SwapSample(string swapper, byte[] model, PasteOptions? paste = null, int pixelBoost = PixelBoostTiles.Auto)
    {
        using var models = PublicModelStandIns.Load(PublicModelStandIns.Directory(Path.Combine(folder.FullName, Guid.NewGuid().ToString("N")), StandIns(swapper, model)));
        var stack = models.Resolve(new ModelSelection { Swapper = swapper, Paste = paste ?? new PasteOptions(), PixelBoost = pixelBoost });
        Assert.Equal(swapper, stack.Swapper!.Name);
        return Run(stack);
    }

    private (Mat Before, Mat After, IReadOnlyList<Detection.DetectedFace> Faces) Run(NeuralStack stack)
    {
        using var source = fixture.Engine.PrepareSource(fixture.CropFace(3, 0));
        var bytes = File.ReadAllBytes(TestAssets.Sample(1));
        var result = fixture.Engine.Swap(bytes, source, new SwapRequest
        {
            OutputFormat = ImageFormat.Png,
            MeasureAfter = false,
            Swapper = stack.Swapper,
            Enhancer = stack.Enhancer,
        });
        var before = ImageCodec.Decode(bytes);
        var after = ImageCodec.Decode(result.Output);
        Assert.Equal(before.Size(), after.Size());
        var faces = fixture.Engine.FindFaces(before, new StageTimer());
        Assert.Equal(faces.Count, result.Faces.Count(f => f.Swapped));
        Assert.NotEmpty(faces);
        return (before, after, faces);
    }

    private static Rect PasteBox(Mat affine, int size, Mat frame)
    {
        using var inverse = new Mat();
        Cv2.InvertAffineTransform(affine, inverse);
        var corners = new[] { new Point2d(0, 0), new Point2d(size, 0), new Point2d(0, size), new Point2d(size, size) }
            .Select(p => new Point2d(
                inverse.At<double>(0, 0) * p.X + inverse.At<double>(0, 1) * p.Y + inverse.At<double>(0, 2),
                inverse.At<double>(1, 0) * p.X + inverse.At<double>(1, 1) * p.Y + inverse.At<double>(1, 2)))
            .ToArray();
        var x1 = (int)Math.Floor(corners.Min(p => p.X));
        var y1 = (int)Math.Floor(corners.Min(p => p.Y));
        var x2 = (int)Math.Ceiling(corners.Max(p => p.X));
        var y2 = (int)Math.Ceiling(corners.Max(p => p.Y));
        return new Rect(x1, y1, x2 - x1, y2 - y1).Intersect(new Rect(0, 0, frame.Width, frame.Height));
    }

    private static Rect ToRect(Rect2f box) => new Rect((int)box.X, (int)box.Y, (int)box.Width, (int)box.Height);

    private static double Texture(Mat image, Rect patch)
    {
        using var region = new Mat(image, patch);
        using var grey = new Mat();
        Cv2.CvtColor(region, grey, ColorConversionCodes.BGR2GRAY);
        using var laplacian = new Mat();
        Cv2.Laplacian(grey, laplacian, MatType.CV_32F);
        Cv2.MeanStdDev(laplacian, out _, out var std);
        return std.Val0;
    }

    private static double MeanAbsDiff(Mat a, Mat b)
    {
        using var diff = new Mat();
        Cv2.Absdiff(a, b, diff);
        var mean = Cv2.Mean(diff);
        return (mean.Val0 + mean.Val1 + mean.Val2) / 3;
    }

    public void Dispose() => folder.Delete(recursive: true);
}
