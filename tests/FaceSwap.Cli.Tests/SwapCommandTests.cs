using System.Text.Json;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Tests;

namespace FaceSwap.Cli.Tests;

public sealed class SwapCommandTests(EngineFixture fixture) : IClassFixture<EngineFixture>, IDisposable
{
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("faceswap-cli-");

    private string Models => TestAssets.Models.Path;

    [Fact]
    public async Task Swap_writes_the_output_and_a_report_with_similarity_per_face()
    {
        var source = Write("source.jpg", fixture.CropFace(3, 0));
        var output = Path.Combine(work.FullName, "nested", "out.png");
        var report = Path.Combine(work.FullName, "report.json");

        var run = await CliProcess.RunAsync("swap", "--models", Models, "--source", source, "--target", TestAssets.Sample(1), "--output", output, "--report", report);

        Assert.True(run.ExitCode == 0, run.StdErr);
        var bytes = await File.ReadAllBytesAsync(output);
        Assert.Equal(ImageCodec.ReadSize(await File.ReadAllBytesAsync(TestAssets.Sample(1))), ImageCodec.ReadSize(bytes));
        Assert.Equal(0x89, bytes[0]);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(report));
        var faces = json.RootElement.GetProperty("faces").EnumerateArray().ToList();
        Assert.Equal(3, faces.Count);
        foreach (var face in faces)
        {
            Assert.Equal(4, face.GetProperty("box").GetArrayLength());
            Assert.True(face.GetProperty("score").GetDouble() > 0.9);
            Assert.True(face.GetProperty("similarityAfter").GetDouble() > face.GetProperty("similarityBefore").GetDouble());
        }

        var stages = json.RootElement.GetProperty("timingsMs").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Superset(new HashSet<string> { "decode", "detect", "landmarks", "swap", "blend", "encode" }, stages.ToHashSet());
    }

    [Fact]
    public async Task The_same_swap_run_twice_in_two_processes_writes_the_same_file()
    {
        // A resumed or re-run job must give the same pixels: the grain's seed once came from HashCode.Combine, which each
        // process seeds afresh, and the same swap gave other grain, and other figures, every run.
        var source = Write("source.jpg", fixture.CropFace(3, 0));
        var outputs = new List<byte[]>();
        foreach (var name in new[] { "first.jpg", "second.jpg" })
        {
            var output = Path.Combine(work.FullName, name);
            var run = await CliProcess.RunAsync("swap", "--models", Models, "--source", source, "--target", TestAssets.Sample(4), "--output", output);
            Assert.True(run.ExitCode == 0, run.StdErr);
            outputs.Add(await File.ReadAllBytesAsync(output));
        }

        Assert.Equal(outputs[0], outputs[1]);
    }

    [Fact]
    public async Task Bad_inputs_give_distinct_clear_errors_and_never_a_stack_trace()
    {
        var source = Write("source.jpg", fixture.CropFace(3, 0));
        var sample = await File.ReadAllBytesAsync(TestAssets.Sample(1));
        var cases = new (string Name, byte[] Target, string[] Extra, int Code, string Message)[]
        {
            ("notes.jpg", "this is a text file"u8.ToArray(), [], 10, "not an image"),
            ("truncated.jpg", sample[..(sample.Length / 3)], [], 11, "truncated"),
            ("landscape.jpg", TestImages.Gradient(800, 600), [], 14, "no face"),
            ("big.jpg", sample, ["--max-pixels", "1000000"], 13, "megapixels"),
        };

        foreach (var (name, target, extra, code, message) in cases)
        {
            var targetPath = Write(name, target);
            var run = await CliProcess.RunAsync(["swap", "--models", Models, "--source", source, "--target", targetPath, "--output", Path.Combine(work.FullName, "x.jpg"), .. extra]);
            Assert.Equal(code, run.ExitCode);
            Assert.Contains(message, run.StdErr);
            Assert.Contains(name, run.StdErr);
            Assert.DoesNotContain("   at ", run.StdErr);
            Assert.False(File.Exists(Path.Combine(work.FullName, "x.jpg")));
        }
    }

    [Fact]
    public async Task A_missing_model_names_the_file_and_the_command_that_fixes_it()
    {
        var empty = Directory.CreateDirectory(Path.Combine(work.FullName, "no-models")).FullName;
        var source = Write("source.jpg", fixture.CropFace(3, 0));
        var run = await CliProcess.RunAsync("swap", "--models", empty, "--source", source, "--target", TestAssets.Sample(1), "--output", Path.Combine(work.FullName, "x.jpg"));
        Assert.Equal(20, run.ExitCode);
        Assert.Contains("fr_detect.onnx", run.StdErr);
        Assert.Contains("faceswap models pull", run.StdErr);
        Assert.DoesNotContain("   at ", run.StdErr);
    }

    [Fact]
    public async Task Models_list_reports_present_missing_and_corrupt()
    {
        var dir = Directory.CreateDirectory(Path.Combine(work.FullName, "some-models")).FullName;
        var catalog = TestAssets.Models.Catalog;
        File.Copy(TestAssets.Models.FileOf(catalog.Get("fr_detect")), Path.Combine(dir, "fr_detect.onnx"));
        await File.WriteAllTextAsync(Path.Combine(dir, "fr_feature.onnx"), "not a model");

        var run = await CliProcess.RunAsync("models", "list", "--models", dir);

        Assert.Equal(0, run.ExitCode);
        Assert.Matches("fr_detect.*present", run.StdOut);
        Assert.Matches("fr_landmark.*missing", run.StdOut);
        Assert.Matches("fr_feature.*corrupt", run.StdOut);
        Assert.Contains("MIT", run.StdOut);
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(work.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose() => work.Delete(recursive: true);
}
