using System.Text.Json;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Tests;
using OpenCvSharp;

namespace FaceSwap.Cli.Tests;

/// <summary>`faceswap run` ends with the per-stage time table (p50/p95 per stage) and writes it into summary.json.</summary>
[Trait("Category", "Telemetry")]
public sealed class RunStageTableTests : IDisposable
{
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("faceswap-stages-");

    [Fact]
    public async Task Run_prints_the_stage_table_and_summary_json_holds_it()
    {
        var input = Path.Combine(work.FullName, "in");
        var output = Path.Combine(work.FullName, "out");
        for (var i = 0; i < 3; i++)
        {
            using var image = ImageCodec.Decode(File.ReadAllBytes(TestAssets.Sample(i + 1)));
            using var small = new Mat();
            Cv2.Resize(image, small, new Size(640, (int)Math.Round(image.Height * 640.0 / image.Width)), interpolation: InterpolationFlags.Area);
            Directory.CreateDirectory(input);
            await File.WriteAllBytesAsync(Path.Combine(input, $"p{i}.jpg"), ImageCodec.Encode(small, ImageFormat.Jpeg));
        }

        var run = await CliProcess.RunAsync("run", "--models", TestAssets.Models.Path, "--source", TestAssets.Sample(3), "--input", input, "--output", output);

        Assert.True(run.ExitCode == 0, run.StdErr);
        var lines = run.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = Array.FindIndex(lines, l => l.StartsWith("stage", StringComparison.Ordinal) && l.Contains("p50 ms", StringComparison.Ordinal) && l.Contains("p95 ms", StringComparison.Ordinal));
        Assert.True(header >= 0, run.StdOut);
        var rows = lines[(header + 1)..].Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToDictionary(r => r[0]);
        var summaryFile = Directory.EnumerateFiles(Path.Combine(output, "_faceswap"), "summary.json", SearchOption.AllDirectories).Single();
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(summaryFile));
        var stages = summary.RootElement.GetProperty("stages");
        foreach (var stage in new[] { "decode", "detect", "landmarks", "swap", "blend", "encode", "read", "write" })
        {
            var row = stages.GetProperty(stage);
            Assert.Equal(3, row.GetProperty("count").GetInt32());
            Assert.InRange(row.GetProperty("p50Ms").GetDouble(), 0, row.GetProperty("p95Ms").GetDouble());
            Assert.Equal("3", rows[stage][1]);
            Assert.Equal(row.GetProperty("p95Ms").GetDouble(), double.Parse(rows[stage][3], System.Globalization.CultureInfo.InvariantCulture), 1);
        }
    }

    public void Dispose() => work.Delete(recursive: true);
}
