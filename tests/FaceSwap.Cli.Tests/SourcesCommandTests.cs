using System.Diagnostics;
using System.Text.Json;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Tests;
using OpenCvSharp;

namespace FaceSwap.Cli.Tests;

/// <summary>`faceswap run` with several sources: matrix jobs (--sources-mode each), source sets, the repeat-image cache, reference mode.</summary>
public sealed class SourcesCommandTests(EngineFixture fixture) : IClassFixture<EngineFixture>, IDisposable
{
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("faceswap-sources-");

    private string Input => Path.Combine(work.FullName, "in");

    private string Output => Path.Combine(work.FullName, "out");

    [Fact]
    public async Task A_matrix_job_of_two_sources_and_four_targets_killed_mid_job_finishes_the_rest_writing_each_output_once()
    {
        var targets = Enumerable.Range(0, 4).Select(i => WriteTarget($"{(i % 2 == 0 ? "set-a" : "set-b/deep")}/photo{i}.jpg", i % 4 + 1)).ToList();
        var sources = Path.Combine(work.FullName, "people");
        Directory.CreateDirectory(sources);
        await File.WriteAllBytesAsync(Path.Combine(sources, "alice.jpg"), fixture.CropFace(3, 0));
        await File.WriteAllBytesAsync(Path.Combine(sources, "bob.jpg"), fixture.CropFace(1, 0));
        string[] args = ["run", "--models", TestAssets.Models.Path, "--source", sources, "--sources-mode", "each", "--input", Input, "--output", Output,
            "--concurrency", "1", "--batch-size", "1", "--prefetch", "2"];

        // First run: kill -9 as soon as a few outputs exist.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "faceswap.dll"));
        args.ToList().ForEach(start.ArgumentList.Add);
        using (var first = Process.Start(start)!)
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (Outputs().Count < 2 && DateTime.UtcNow < deadline && !first.HasExited)
            {
                await Task.Delay(20);
            }

            if (first.HasExited)
            {
                Assert.Fail("the first run finished before it could be killed: " + await first.StandardError.ReadToEndAsync());
            }

            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }

        var survivors = Outputs().ToDictionary(p => p, File.GetLastWriteTimeUtc);
        Assert.True(survivors.Count is >= 2 and < 8, $"{survivors.Count} outputs after the kill");

        var second = await CliProcess.RunAsync(args);

        Assert.True(second.ExitCode == 0, second.StdErr);
        var expected = new[] { "alice", "bob" }.SelectMany(name => targets.Select(t => Path.Combine(Output, name, Path.GetRelativePath(Input, t)))).Order().ToList();
        Assert.Equal(expected, Outputs().Order().ToList());
        foreach (var (path, written) in survivors)
        {
            Assert.Equal(written, File.GetLastWriteTimeUtc(path));
        }

        // One job: the second run made a new job id, whose summary counts every output once (the survivors as skipped).
        var summary = LatestSummary();
        Assert.Equal("completed", summary.GetProperty("state").GetString());
        Assert.Equal(8, summary.GetProperty("counts").GetProperty("discovered").GetInt32());
        Assert.Equal(survivors.Count, summary.GetProperty("counts").GetProperty("skipped").GetInt32());
        Assert.Equal(8 - survivors.Count, summary.GetProperty("counts").GetProperty("ok").GetInt32());
        var table = summary.GetProperty("sources");
        foreach (var name in new[] { "alice", "bob" })
        {
            var row = table.GetProperty(name);
            Assert.Equal(4, row.GetProperty("discovered").GetInt32());
            Assert.Equal(4, row.GetProperty("ok").GetInt32() + row.GetProperty("skipped").GetInt32());
        }

        Assert.Contains("alice", second.StdOut);
        Assert.Contains("bob", second.StdOut);
    }

    [Fact]
    public async Task Fifty_copies_of_one_photo_are_detected_once_and_every_output_is_written()
    {
        for (var i = 0; i < 50; i++)
        {
            WriteTarget($"copies/{i / 10}/copy{i:00}.jpg", 1);
        }

        var run = await CliProcess.RunAsync("run", "--models", TestAssets.Models.Path, "--source", TestAssets.Sample(3), "--input", Input, "--output", Output, "--concurrency", "2");

        Assert.True(run.ExitCode == 0, run.StdErr);
        Assert.Equal(50, Outputs().Count);
        var summary = LatestSummary();
        Assert.Equal(50, summary.GetProperty("counts").GetProperty("ok").GetInt32());
        Assert.Equal(49, summary.GetProperty("counts").GetProperty("cacheHits").GetInt32());
        var stages = summary.GetProperty("stages");
        foreach (var stage in new[] { "decode", "detect", "landmarks", "embed" })
        {
            Assert.Equal(1, stages.GetProperty(stage).GetProperty("count").GetInt32());
        }

        Assert.Equal(50, stages.GetProperty("swap").GetProperty("count").GetInt32());
        Assert.Contains("repeat-image cache: 49", run.StdOut);
    }

    [Fact]
    public async Task Run_in_reference_mode_changes_only_the_referenced_face()
    {
        // A PNG input (lossless) and no watermark, so every pixel outside the chosen face can be compared exactly.
        var original = await File.ReadAllBytesAsync(TestAssets.Sample(1));
        using (var image = ImageCodec.Decode(original))
        {
            Directory.CreateDirectory(Input);
            await File.WriteAllBytesAsync(Path.Combine(Input, "group.png"), ImageCodec.Encode(image, ImageFormat.Png));
        }

        var reference = Path.Combine(work.FullName, "reference.jpg");
        await File.WriteAllBytesAsync(reference, fixture.CropFace(1, 0));
        var source = Path.Combine(work.FullName, "source.jpg");
        await File.WriteAllBytesAsync(source, fixture.CropFace(3, 0));

        var run = await CliProcess.RunAsync("run", "--models", TestAssets.Models.Path, "--source", source, "--input", Input, "--output", Output,
            "--faces", "reference", "--reference", reference, "--no-watermark");

        Assert.True(run.ExitCode == 0, run.StdErr);
        Assert.Contains("faces left untouched: 2 (2 not_reference)", run.StdOut);
        using var before = ImageCodec.Decode(await File.ReadAllBytesAsync(Path.Combine(Input, "group.png")));
        using var after = ImageCodec.Decode(await File.ReadAllBytesAsync(Path.Combine(Output, "group.png")));
        var faces = fixture.Engine.FindFaces(before, new StageTimer()).OrderBy(f => f.Box.X).ToList();
        using var diff = new Mat();
        Cv2.Absdiff(before, after, diff);
        using var changed = new Mat();
        Cv2.CvtColor(diff, changed, ColorConversionCodes.BGR2GRAY);
        var box = faces[0].Box;
        var margin = (int)(Math.Max(box.Width, box.Height) * 0.5);
        var region = new Rect((int)box.X - margin, (int)box.Y - margin, (int)box.Width + 2 * margin, (int)box.Height + 2 * margin)
            .Intersect(new Rect(0, 0, before.Width, before.Height));
        Assert.True(Cv2.CountNonZero(new Mat(changed, region)) > 0, "the referenced face did not change");
        changed[region].SetTo(Scalar.All(0));
        Assert.Equal(0, Cv2.CountNonZero(changed));
    }

    [Fact]
    public async Task Swap_with_a_folder_of_one_person_names_the_photo_used_per_face()
    {
        var folder = Path.Combine(work.FullName, "anna");
        Directory.CreateDirectory(folder);
        var crop = fixture.CropFace(3, 0);
        await File.WriteAllBytesAsync(Path.Combine(folder, "front.jpg"), crop);
        using (var image = ImageCodec.Decode(crop))
        using (var matrix = Cv2.GetRotationMatrix2D(new Point2f(image.Width / 2f, image.Height / 2f), 12, 1))
        using (var rotated = new Mat())
        {
            Cv2.WarpAffine(image, rotated, matrix, image.Size(), InterpolationFlags.Cubic, BorderTypes.Reflect101);
            await File.WriteAllBytesAsync(Path.Combine(folder, "tilted.jpg"), ImageCodec.Encode(rotated, ImageFormat.Jpeg, 95));
        }

        var report = Path.Combine(work.FullName, "report.json");
        var run = await CliProcess.RunAsync("swap", "--models", TestAssets.Models.Path, "--source", folder, "--target", TestAssets.Sample(2),
            "--output", Path.Combine(work.FullName, "out.jpg"), "--report", report);

        Assert.True(run.ExitCode == 0, run.StdErr);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(report));
        var faces = json.RootElement.GetProperty("faces").EnumerateArray().ToList();
        Assert.Equal(3, faces.Count);

        // Every swapped face names the photo it got; demo photo 2's full profile is out of both photos' reach.
        var swapped = faces.Where(f => f.GetProperty("selected").GetBoolean()).ToList();
        Assert.Equal(2, swapped.Count);
        Assert.All(swapped, f => Assert.Matches(@"^(front|tilted)\.jpg( \(mirrored\))?$", f.GetProperty("source").GetString()));
        Assert.Equal("pose_out_of_reach", Assert.Single(faces, f => !f.GetProperty("selected").GetBoolean()).GetProperty("reason").GetString());
        Assert.Contains(", from ", run.StdOut);
    }

    private string WriteTarget(string relative, int sample) => DemoPhotos.Write(Path.Combine(Input, relative), DemoPhotos.HalfSize(sample));

    private List<string> Outputs() => Directory.Exists(Output)
        ? Directory.EnumerateFiles(Output, "*.*", SearchOption.AllDirectories)
            .Where(p => !Path.GetRelativePath(Output, p).Split('/').Any(part => part == "_faceswap" || part.StartsWith('.'))).ToList()
        : [];

    private JsonElement LatestSummary()
    {
        var file = Directory.EnumerateFiles(Path.Combine(Output, "_faceswap"), "summary.json", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).First();
        return JsonDocument.Parse(File.ReadAllText(file)).RootElement.Clone();
    }

    public void Dispose() => work.Delete(recursive: true);
}
