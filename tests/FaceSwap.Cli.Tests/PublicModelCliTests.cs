using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Tests;

namespace FaceSwap.Cli.Tests;

/// <summary>The public models on the command line: listing, pulling without internet, and the checks before a swap.</summary>
public sealed class PublicModelCliTests(EngineFixture fixture) : IClassFixture<EngineFixture>, IDisposable
{
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("faceswap-public-cli-");

    [Fact]
    public async Task Models_list_shows_every_public_model_as_optional()
    {
        var run = await CliProcess.RunAsync("models", "list", "--models", TestAssets.Models.Path);

        Assert.True(run.ExitCode == 0, run.StdErr);
        foreach (var name in new[] { "inswapper_128", "simswap_256", "arcface_w600k_r50", "gfpgan_1.4", "scrfd_2.5g", "yoloface_8n", "2dfan4", "fr_detect" })
        {
            Assert.Contains(name, run.StdOut, StringComparison.Ordinal);
        }

        Assert.Contains("not installed (optional)", run.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pulling_a_public_model_without_internet_says_where_to_put_the_file()
    {
        var run = await CliProcess.RunAsync("models", "pull", "gfpgan_1.4", "--models", work.FullName);

        Assert.Equal(20, run.ExitCode);
        Assert.Contains("Download gfpgan_1.4.onnx from https://", run.StdErr, StringComparison.Ordinal);
        Assert.Contains($"put it at {Path.Combine(work.FullName, "gfpgan_1.4.onnx")}", run.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(work.FullName, "gfpgan_1.4.onnx")));
    }

    [Fact]
    public async Task Pulling_an_unknown_name_lists_the_public_models()
    {
        var run = await CliProcess.RunAsync("models", "pull", "roop", "--models", work.FullName);

        Assert.Equal(4, run.ExitCode);
        Assert.Contains("no public model named 'roop'", run.StdErr, StringComparison.Ordinal);
        Assert.Contains("inswapper_128", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Swap_with_a_public_swapper_runs_the_user_supplied_model()
    {
        var models = ModelsWith(new Dictionary<string, byte[]>
        {
            [PublicModels.SimSwap256] = PublicModelStandIns.Swapper(256, PublicModelStandIns.Zero, PublicModelStandIns.One, colour: [0f, 1f, 0f]),
            [PublicModels.CrossfaceSimSwap] = PublicModelStandIns.Converter(),
            [PublicModels.ArcFace] = PublicModelStandIns.ArcFace(),
        });
        var source = Write("source.jpg", fixture.CropFace(3, 0));
        var output = Path.Combine(work.FullName, "out.png");

        var run = await CliProcess.RunAsync("swap", "--models", models, "--swapper", "simswap_256", "--blend-ratio", "1",
            "--source", source, "--target", TestAssets.Sample(1), "--output", output);

        Assert.True(run.ExitCode == 0, run.StdErr);
        using var image = ImageCodec.Decode(await File.ReadAllBytesAsync(output));
        using var original = ImageCodec.Decode(await File.ReadAllBytesAsync(TestAssets.Sample(1)));
        var face = fixture.Engine.FindFaces(original, new Engine.Pipeline.StageTimer())[0];
        var nose = image.At<OpenCvSharp.Vec3b>((int)face.Landmarks[30].Y, (int)face.Landmarks[30].X);
        Assert.Equal(new OpenCvSharp.Vec3b(0, 255, 0), nose);
    }

    [Fact]
    public async Task Pixel_boost_and_mask_padding_are_checked_and_used_by_swap()
    {
        var models = ModelsWith(new Dictionary<string, byte[]>
        {
            [PublicModels.SimSwap256] = PublicModelStandIns.Swapper(256, PublicModelStandIns.Zero, PublicModelStandIns.One, colour: [0f, 1f, 0f]),
            [PublicModels.CrossfaceSimSwap] = PublicModelStandIns.Converter(),
            [PublicModels.ArcFace] = PublicModelStandIns.ArcFace(),
        });
        var source = Write("source.jpg", fixture.CropFace(3, 0));
        var output = Path.Combine(work.FullName, "boosted.png");

        var refused = await CliProcess.RunAsync("swap", "--models", models, "--swapper", "simswap_256", "--pixel-boost", "384",
            "--source", source, "--target", TestAssets.Sample(1), "--output", output);
        var run = await CliProcess.RunAsync("swap", "--models", models, "--swapper", "simswap_256", "--pixel-boost", "512", "--mask-padding", "0", "0", "35", "0",
            "--source", source, "--target", TestAssets.Sample(1), "--output", output);

        Assert.Equal(4, refused.ExitCode);
        Assert.Contains("--pixel-boost: simswap_256 works at a pixel boost of 256 or 512", refused.StdErr, StringComparison.Ordinal);
        Assert.True(run.ExitCode == 0, run.StdErr);
        using var image = ImageCodec.Decode(await File.ReadAllBytesAsync(output));
        using var original = ImageCodec.Decode(await File.ReadAllBytesAsync(TestAssets.Sample(1)));
        var face = fixture.Engine.FindFaces(original, new Engine.Pipeline.StageTimer())[0];
        var (eye, lip) = (Engine.Landmarks.FaceGeometry.LeftEye(face.Landmarks), face.Landmarks[57]);
        Assert.Equal(new OpenCvSharp.Vec3b(0, 255, 0), image.At<OpenCvSharp.Vec3b>((int)eye.Y, (int)eye.X));
        Assert.Equal(original.At<OpenCvSharp.Vec3b>((int)lip.Y, (int)lip.X), image.At<OpenCvSharp.Vec3b>((int)lip.Y, (int)lip.X));
    }

    [Fact]
    public async Task Run_with_a_public_swapper_swaps_every_image_through_the_platform()
    {
        var models = ModelsWith(new Dictionary<string, byte[]>
        {
            [PublicModels.SimSwap256] = PublicModelStandIns.Swapper(256, PublicModelStandIns.Zero, PublicModelStandIns.One, colour: [0f, 1f, 0f]),
            [PublicModels.CrossfaceSimSwap] = PublicModelStandIns.Converter(),
            [PublicModels.ArcFace] = PublicModelStandIns.ArcFace(),
        });
        var input = Directory.CreateDirectory(Path.Combine(work.FullName, "in")).FullName;
        File.Copy(TestAssets.Sample(1), Path.Combine(input, "a.jpg"));
        var output = Path.Combine(work.FullName, "out");

        var run = await CliProcess.RunAsync("run", "--models", models, "--swapper", "simswap_256", "--blend-ratio", "1", "--no-watermark",
            "--source", Write("source.jpg", fixture.CropFace(3, 0)), "--input", input, "--output", output);

        Assert.True(run.ExitCode == 0, run.StdErr + run.StdOut);
        Assert.True(File.Exists(Path.Combine(output, "a.jpg")), run.StdOut);
        using var image = ImageCodec.Decode(await File.ReadAllBytesAsync(Path.Combine(output, "a.jpg")));
        using var original = ImageCodec.Decode(await File.ReadAllBytesAsync(TestAssets.Sample(1)));
        foreach (var face in fixture.Engine.FindFaces(original, new Engine.Pipeline.StageTimer()))
        {
            // A JPEG output: green within compression error.
            var nose = image.At<OpenCvSharp.Vec3b>((int)face.Landmarks[30].Y, (int)face.Landmarks[30].X);
            Assert.True(nose.Item1 > 220 && nose.Item0 < 40 && nose.Item2 < 40, $"nose tip {nose.Item0},{nose.Item1},{nose.Item2} is not green");
        }
    }

    [Fact]
    public async Task Missing_corrupt_and_wrong_signature_models_fail_before_any_image_with_their_own_code()
    {
        var source = Write("source.jpg", fixture.CropFace(3, 0));
        var wrong = ModelsWith(new Dictionary<string, byte[]>
        {
            [PublicModels.SimSwap256] = PublicModelStandIns.WrongSignature(),
            [PublicModels.ArcFace] = PublicModelStandIns.ArcFace(),
        });
        var corrupt = ModelsWith(new Dictionary<string, byte[]>
        {
            // models.json records inswapper_128's exact size, which a stand-in does not have.
            [PublicModels.Inswapper128] = PublicModelStandIns.Swapper(128, PublicModelStandIns.Zero, PublicModelStandIns.One, emap: PublicModelStandIns.ShiftEmap()),
            [PublicModels.ArcFace] = PublicModelStandIns.ArcFace(),
        });
        var noConverter = ModelsWith(new Dictionary<string, byte[]>
        {
            [PublicModels.SimSwap256] = PublicModelStandIns.Swapper(256, PublicModelStandIns.Zero, PublicModelStandIns.One),
            [PublicModels.ArcFace] = PublicModelStandIns.ArcFace(),
        });
        var cases = new (string Models, string[] Options, int Code, string Message)[]
        {
            (noConverter, ["--swapper", "simswap_256"], 20, "simswap_256 needs FaceFusion's embedding converter crossface_simswap"),
            (TestAssets.Models.Path, ["--swapper", "inswapper_128"], 20, "inswapper_128.onnx is missing"),
            (TestAssets.Models.Path, ["--enhancer", "gfpgan_1.4"], 20, "faceswap models pull gfpgan_1.4"),
            (corrupt, ["--swapper", "inswapper_128"], 21, "does not match its sha256 in models.json"),
            (wrong, ["--swapper", "simswap_256"], 22, "does not have the signature of simswap_256"),
            (TestAssets.Models.Path, ["--execution-provider", "cuda"], 1, "-p:OnnxRuntimeFlavor=Gpu"),
            (TestAssets.Models.Path, ["--detector", "scrfd_2.5g"], 20, "scrfd_2.5g.onnx is missing"),
            (TestAssets.Models.Path, ["--landmarker", "2dfan4"], 20, "2dfan4.onnx is missing"),
        };

        foreach (var (models, options, code, message) in cases)
        {
            var output = Path.Combine(work.FullName, $"out-{code}.jpg");
            var run = await CliProcess.RunAsync(["swap", "--models", models, "--source", source, "--target", TestAssets.Sample(1), "--output", output, .. options]);

            Assert.True(run.ExitCode == code, $"{string.Join(" ", options)}: exit {run.ExitCode}: {run.StdErr}");
            Assert.Contains(message, run.StdErr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", run.StdErr, StringComparison.Ordinal);
            Assert.False(File.Exists(output));
        }

        var runOutput = Path.Combine(work.FullName, "run-out");
        var refused = await CliProcess.RunAsync("run", "--models", TestAssets.Models.Path, "--swapper", "inswapper_128", "--source", source,
            "--input", Directory.CreateDirectory(Path.Combine(work.FullName, "run-in")).FullName, "--output", runOutput);
        Assert.Equal(20, refused.ExitCode);
        Assert.Contains("inswapper_128.onnx is missing", refused.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(runOutput));
    }

    private string ModelsWith(IReadOnlyDictionary<string, byte[]> files)
    {
        var folder = Directory.CreateDirectory(Path.Combine(work.FullName, Guid.NewGuid().ToString("N"))).FullName;
        foreach (var file in Directory.GetFiles(TestAssets.Models.Path, "*.onnx").Where(f => Path.GetFileName(f).StartsWith("fr_", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        foreach (var (name, bytes) in files)
        {
            File.WriteAllBytes(Path.Combine(folder, name + ".onnx"), bytes);
        }

        return folder;
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(work.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose() => work.Delete(recursive: true);
}
