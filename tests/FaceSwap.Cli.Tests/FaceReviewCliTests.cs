using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Tests;
using OpenCvSharp;

namespace FaceSwap.Cli.Tests;

/// <summary>
/// The per-face figures (similarity before and after, tint, shade, detail, source scale) and the review of faces that
/// need a look, where users see them: `swap --report` and its console lines, a run's outcome lines, summary.json and
/// the run's console summary. Real photos and models; a broken swapper (a stand-in painting faces flat green) makes
/// faces that are lost after the swap.
/// </summary>
public sealed partial class FaceReviewCliTests(EngineFixture fixture) : IClassFixture<EngineFixture>, IDisposable
{
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("faceswap-review-cli-");

    [Fact]
    public async Task Swap_report_and_console_give_every_face_its_figures_and_whether_it_needs_review()
    {
        var source = Write("source.jpg", fixture.CropFace(3, 0));
        var report = Path.Combine(work.FullName, "report.json");

        var run = await CliProcess.RunAsync("swap", "--models", TestAssets.Models.Path, "--source", source, "--target", TestAssets.Sample(1),
            "--output", Path.Combine(work.FullName, "out.jpg"), "--report", report);

        Assert.True(run.ExitCode == 0, run.StdErr);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(report));
        var root = json.RootElement;
        var thresholds = root.GetProperty("thresholds");
        Assert.Equal((5, 7, 0.75, 1.35, 0.6, 1.5), (thresholds.GetProperty("maxTint").GetDouble(), thresholds.GetProperty("maxShade").GetDouble(),
            thresholds.GetProperty("minDetail").GetDouble(), thresholds.GetProperty("maxDetail").GetDouble(),
            Math.Round(thresholds.GetProperty("minSharpness").GetDouble(), 3), thresholds.GetProperty("maxSourceScale").GetDouble()));
        var faces = root.GetProperty("faces").EnumerateArray().ToList();
        Assert.Equal(3, faces.Count);
        var lines = run.StdOut.Split('\n').Where(l => l.StartsWith("face at [", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, lines.Count);
        for (var i = 0; i < faces.Count; i++)
        {
            var face = faces[i];
            var (tint, shade, detail, sharpness, scale) = (face.GetProperty("tint").GetDouble(), face.GetProperty("shade").GetDouble(),
                face.GetProperty("detail").GetDouble(), face.GetProperty("sharpness").GetDouble(), face.GetProperty("sourceScale").GetDouble());
            Assert.InRange(tint, 0, 100);
            Assert.InRange(shade, 0, 100);
            Assert.InRange(detail, 0.1, 10);
            Assert.InRange(sharpness, 0.1, 10);
            Assert.InRange(scale, 0.1, 10);
            var expected = new List<string>();
            if (tint > 5) expected.Add("tint");
            if (shade > 7) expected.Add("shade");
            if (detail is < 0.75 or > 1.35) expected.Add("detail");
            if (sharpness < 0.6) expected.Add("soft");
            if (scale > FaceReport.SoftSourceScale) expected.Add("source_small");
            Assert.Equal(expected.Count > 0, face.GetProperty("needsReview").GetBoolean());
            Assert.Equal(expected, face.GetProperty("review").ValueKind == JsonValueKind.Null ? [] : face.GetProperty("review").EnumerateArray().Select(r => r.GetString()!).ToList());

            // The console line of the face says the same figures.
            var line = lines.Single(l => l.StartsWith($"face at [{string.Join(",", face.GetProperty("box").EnumerateArray().Select(v => v.GetInt32()))}]", StringComparison.Ordinal));
            Assert.Contains(FormattableString.Invariant($"tint {tint:0.0}, shade {shade:0.0}, detail {detail:0.00}, sharpness {sharpness:0.00}, source enlarged {scale:0.0}x"), line, StringComparison.Ordinal);
            Assert.Equal(expected.Count > 0, line.Contains("needs review: ", StringComparison.Ordinal));
        }

        Assert.Equal(faces.Count(f => f.GetProperty("needsReview").GetBoolean()), root.GetProperty("facesToReview").GetInt32());
        Assert.Equal(0, root.GetProperty("facesLost").GetInt32());
        Assert.Empty(root.GetProperty("warnings").EnumerateArray());
    }

    [Fact]
    public async Task A_source_much_smaller_than_the_faces_flags_them_soft_and_warns_with_both_sizes()
    {
        var source = Write("small-source.jpg", Shrunk(fixture.CropFace(3, 0), 0.5));
        var report = Path.Combine(work.FullName, "report.json");

        var run = await CliProcess.RunAsync("swap", "--models", TestAssets.Models.Path, "--source", source, "--target", TestAssets.Sample(1),
            "--output", Path.Combine(work.FullName, "out.jpg"), "--report", report);

        Assert.True(run.ExitCode == 0, run.StdErr);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(report));
        var faces = json.RootElement.GetProperty("faces").EnumerateArray().ToList();
        var soft = faces.Where(f => f.GetProperty("sourceScale").GetDouble() > FaceReport.SoftSourceScale).ToList();
        Assert.NotEmpty(soft);
        Assert.All(soft, f =>
        {
            Assert.True(f.GetProperty("needsReview").GetBoolean());
            Assert.Contains("source_small", f.GetProperty("review").EnumerateArray().Select(r => r.GetString()));
        });

        // One job-level warning, in the report and on the console: the source's size between the eyes and the faces'.
        var warning = Assert.Single(json.RootElement.GetProperty("warnings").EnumerateArray()).GetString()!;
        var sizes = SoftWarning().Match(warning);
        Assert.True(sizes.Success, warning);
        var (sourceEyes, faceEyes) = (int.Parse(sizes.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(sizes.Groups[2].Value, CultureInfo.InvariantCulture));
        var largest = soft.Max(f => f.GetProperty("sourceScale").GetDouble());
        Assert.InRange(faceEyes, sourceEyes * largest - 2, sourceEyes * largest + 2);
        Assert.Contains($"warning: {warning}", run.StdErr, StringComparison.Ordinal);
        Assert.Contains("source_small", run.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_out_of_focus_source_flags_the_faces_it_blurs_soft_and_a_sharp_one_does_not()
    {
        // The same crop, sharp and out of focus (a Gaussian blur of 3.5 pixels, as a missed focus gives; more and the source check refuses it as unclear).
        var sharp = Write("sharp.jpg", fixture.CropFace(3, 0));
        var blurred = Write("out-of-focus.jpg", Blurred(fixture.CropFace(3, 0), 3.5));
        var faces = new Dictionary<string, List<(double Sharpness, List<string> Review)>>();
        foreach (var source in new[] { sharp, blurred })
        {
            var report = Path.Combine(work.FullName, Path.GetFileNameWithoutExtension(source) + ".json");
            var run = await CliProcess.RunAsync("swap", "--models", TestAssets.Models.Path, "--source", source, "--target", TestAssets.Sample(1),
                "--output", Path.Combine(work.FullName, Path.GetFileNameWithoutExtension(source) + "-out.jpg"), "--report", report);
            Assert.True(run.ExitCode == 0, run.StdErr);
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(report));
            faces[source] = json.RootElement.GetProperty("faces").EnumerateArray()
                .Select(f => (f.GetProperty("sharpness").GetDouble(),
                    f.GetProperty("review").ValueKind == JsonValueKind.Null ? new List<string>() : f.GetProperty("review").EnumerateArray().Select(r => r.GetString()!).ToList()))
                .ToList();
        }

        Assert.All(faces[sharp], f => Assert.DoesNotContain("soft", f.Review));
        Assert.All(faces[sharp], f => Assert.True(f.Sharpness >= 0.6, $"sharp source: sharpness {f.Sharpness}"));
        Assert.True(faces[blurred].Count(f => f.Review.Contains("soft")) >= 2,
            "out-of-focus source: sharpness " + string.Join(", ", faces[blurred].Select(f => f.Sharpness.ToString("0.00", CultureInfo.InvariantCulture))));
        Assert.All(faces[blurred], f => Assert.Equal(f.Sharpness < 0.6, f.Review.Contains("soft")));
        Assert.True(faces[blurred].Average(f => f.Sharpness) < faces[sharp].Average(f => f.Sharpness) - 0.2);
    }

    [Fact]
    public async Task A_face_lost_after_the_swap_is_null_and_counted_failed_in_the_report_the_outcome_lines_and_the_summary()
    {
        var models = ModelsWithBrokenSwapper();
        var source = Write("source.jpg", fixture.CropFace(3, 0));
        var report = Path.Combine(work.FullName, "report.json");

        var swap = await CliProcess.RunAsync("swap", "--models", models, "--swapper", "simswap_256", "--blend-ratio", "1",
            "--source", source, "--target", TestAssets.Sample(1), "--output", Path.Combine(work.FullName, "out.jpg"), "--report", report);

        Assert.True(swap.ExitCode == 0, swap.StdErr);
        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync(report)))
        {
            var faces = json.RootElement.GetProperty("faces").EnumerateArray().ToList();
            var lost = faces.Where(f => f.GetProperty("similarityAfter").ValueKind == JsonValueKind.Null).ToList();
            Assert.NotEmpty(lost);
            Assert.All(lost, f =>
            {
                Assert.True(f.GetProperty("needsReview").GetBoolean());
                Assert.Equal("lost", f.GetProperty("review")[0].GetString());
                Assert.Equal(JsonValueKind.Null, f.GetProperty("tint").ValueKind);
            });
            Assert.Equal(lost.Count, json.RootElement.GetProperty("facesLost").GetInt32());
            Assert.Equal(lost.Count, Regex.Matches(swap.StdOut, "not found again \\(lost: the swap failed\\)").Count);
        }

        // The same through the platform: each outcome line lists every face, a lost one with "similarity": null.
        var input = Directory.CreateDirectory(Path.Combine(work.FullName, "in")).FullName;
        File.Copy(TestAssets.Sample(1), Path.Combine(input, "a.jpg"));
        File.Copy(TestAssets.Sample(2), Path.Combine(input, "b.jpg"));
        var output = Path.Combine(work.FullName, "out");
        var run = await CliProcess.RunAsync("run", "--models", models, "--swapper", "simswap_256", "--blend-ratio", "1", "--no-watermark",
            "--source", source, "--input", input, "--output", output);

        Assert.True(run.ExitCode == 0, run.StdErr + run.StdOut);
        var (outcomes, summary) = JobFiles(output);
        var lostFaces = 0;
        foreach (var line in outcomes)
        {
            var faces = line.GetProperty("faceOutcomes").EnumerateArray().ToList();
            Assert.Equal(line.GetProperty("faces").GetInt32(), faces.Count);
            var lostHere = faces.Count(f => f.GetProperty("similarity").ValueKind == JsonValueKind.Null);
            Assert.Equal(lostHere, line.GetProperty("facesLost").GetInt32());
            Assert.All(faces.Where(f => f.GetProperty("similarity").ValueKind == JsonValueKind.Null), f => Assert.Equal("lost", f.GetProperty("review")[0].GetString()));
            lostFaces += lostHere;
        }

        Assert.True(lostFaces > 0, string.Join("\n", outcomes));
        var quality = summary.GetProperty("quality");
        Assert.Equal(lostFaces, quality.GetProperty("facesLost").GetInt32());
        Assert.Equal(lostFaces, quality.GetProperty("reasons").GetProperty("lost").GetInt32());
        Assert.Equal(lostFaces, summary.GetProperty("counts").GetProperty("facesLost").GetInt32());
        var listed = summary.GetProperty("review").GetProperty("faces").EnumerateArray().Where(f => f.GetProperty("reasons")[0].GetString() == "lost").ToList();
        Assert.Equal(lostFaces, listed.Count);
        Assert.All(listed, f => Assert.Equal(JsonValueKind.Null, f.GetProperty("similarity").ValueKind));
        Assert.Contains($"({lostFaces} lost", run.StdOut, StringComparison.Ordinal);
        Assert.Matches($"\\d+ faces? needs? review \\({lostFaces} lost", run.StdOut);
    }

    [Fact]
    public async Task Run_outcome_lines_summary_and_console_carry_each_face_and_the_review_list()
    {
        var input = Directory.CreateDirectory(Path.Combine(work.FullName, "in")).FullName;
        for (var i = 1; i <= 3; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(input, $"p{i}.jpg"), Shrunk(await File.ReadAllBytesAsync(TestAssets.Sample(i == 3 ? 4 : i)), 0.5));
        }

        // A source far smaller than the faces: the larger faces are soft, so the review list is known to be non-empty.
        var source = Write("small-source.jpg", Shrunk(fixture.CropFace(3, 0), 0.28));
        var output = Path.Combine(work.FullName, "out");

        var run = await CliProcess.RunAsync("run", "--models", TestAssets.Models.Path, "--source", source, "--input", input, "--output", output);

        Assert.True(run.ExitCode == 0, run.StdErr + run.StdOut);
        var (outcomes, summary) = JobFiles(output);
        Assert.Equal(3, outcomes.Count);
        var flagged = new List<(string Path, int Face, List<string> Reasons)>();
        var swapped = 0;
        foreach (var line in outcomes)
        {
            Assert.Equal("ok", line.GetProperty("status").GetString());
            var faces = line.GetProperty("faceOutcomes").EnumerateArray().ToList();
            Assert.Equal(line.GetProperty("faces").GetInt32(), faces.Count);
            swapped += faces.Count;
            for (var i = 0; i < faces.Count; i++)
            {
                var face = faces[i];
                Assert.Equal(4, face.GetProperty("box").GetArrayLength());
                Assert.True(face.TryGetProperty("similarityBefore", out _));
                Assert.True(face.TryGetProperty("similarity", out _), "a face's similarity is always written, null when lost");
                if (face.GetProperty("similarity").ValueKind != JsonValueKind.Null)
                {
                    Assert.InRange(face.GetProperty("tint").GetDouble(), 0, 100);
                    Assert.InRange(face.GetProperty("shade").GetDouble(), 0, 100);
                    Assert.InRange(face.GetProperty("detail").GetDouble(), 0.01, 10);
                }

                var soft = face.GetProperty("sourceScale").GetDouble() > FaceReport.SoftSourceScale;
                var reasons = face.TryGetProperty("review", out var review) ? review.EnumerateArray().Select(r => r.GetString()!).ToList() : [];
                Assert.Equal(soft, reasons.Contains("source_small"));
                Assert.Equal(reasons.Count > 0, face.GetProperty("needsReview").GetBoolean());
                if (reasons.Count > 0)
                {
                    flagged.Add((line.GetProperty("path").GetString()!, i, reasons));
                }
            }

            Assert.Equal(faces.Count(f => f.GetProperty("needsReview").GetBoolean()), line.GetProperty("facesToReview").GetInt32());
        }

        var softFaces = flagged.Count(f => f.Reasons.Contains("source_small"));
        Assert.True(softFaces > 0, "the source is far smaller than the faces");

        // summary.json: the aggregates and the review list, which names each flagged face by path and index with its figures.
        var quality = summary.GetProperty("quality");
        Assert.Equal(swapped, quality.GetProperty("facesSwapped").GetInt32());
        Assert.Equal(flagged.Count, quality.GetProperty("facesToReview").GetInt32());
        Assert.Equal(softFaces, quality.GetProperty("reasons").GetProperty("source_small").GetInt32());
        Assert.True(quality.GetProperty("maxSourceScale").GetDouble() > FaceReport.SoftSourceScale);
        Assert.True(quality.GetProperty("facesMeasured").GetInt32() > 0);
        foreach (var median in new[] { "medianTint", "medianShade", "medianDetail", "medianSimilarity" })
        {
            Assert.Equal(JsonValueKind.Number, quality.GetProperty(median).ValueKind);
        }

        Assert.Equal(flagged.Count, summary.GetProperty("counts").GetProperty("facesToReview").GetInt32());
        var list = summary.GetProperty("review");
        Assert.Equal((flagged.Count, flagged.Count, false), (list.GetProperty("total").GetInt32(), list.GetProperty("listed").GetInt32(), list.GetProperty("truncated").GetBoolean()));
        var listed = list.GetProperty("faces").EnumerateArray()
            .Select(f => (f.GetProperty("path").GetString()!, f.GetProperty("face").GetInt32(), f.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!).ToList()))
            .ToList();
        Assert.Equal(flagged.Select(f => $"{f.Path}#{f.Face}:{string.Join("+", f.Reasons)}").Order(), listed.Select(f => $"{f.Item1}#{f.Item2}:{string.Join("+", f.Item3)}").Order());
        foreach (var entry in list.GetProperty("faces").EnumerateArray())
        {
            var face = outcomes.Single(o => o.GetProperty("path").GetString() == entry.GetProperty("path").GetString())
                .GetProperty("faceOutcomes")[entry.GetProperty("face").GetInt32()];
            foreach (var figure in new[] { "similarity", "tint", "shade", "detail", "sourceScale" })
            {
                Assert.Equal(face.TryGetProperty(figure, out var value) ? value.ToString() : "", entry.TryGetProperty(figure, out var listedValue) ? listedValue.ToString() : "");
            }
        }

        // The console says how many faces need review and where the list is, and warns about the small source.
        var summaryPath = Directory.EnumerateFiles(Path.Combine(output, "_faceswap"), "summary.json", SearchOption.AllDirectories).Single();
        Assert.Contains($"{flagged.Count} faces need review (", run.StdOut, StringComparison.Ordinal);
        Assert.Contains($"{softFaces} source_small)", run.StdOut, StringComparison.Ordinal);
        Assert.Contains($"see \"review\" in {summaryPath}", run.StdOut, StringComparison.Ordinal);
        Assert.Matches($"faces: {swapped} swapped, \\d+ of \\d+ measured within the thresholds; median tint", run.StdOut);
        Assert.Contains($"warning: {softFaces} face{(softFaces == 1 ? " is" : "s are")} more than 1.5x the source face's size", run.StdErr, StringComparison.Ordinal);
        Assert.Contains("use a larger photo", run.StdErr, StringComparison.Ordinal);
    }

    [GeneratedRegex("source face is (\\d+) px between the eyes, faces here are up to (\\d+) px .*: results will be soft; use a larger photo")]
    private static partial Regex SoftWarning();

    /// <summary>The outcome lines and summary.json of the one job under an output folder.</summary>
    private static (List<JsonElement> Outcomes, JsonElement Summary) JobFiles(string output)
    {
        var folder = Directory.EnumerateDirectories(Path.Combine(output, "_faceswap")).Single(d => File.Exists(Path.Combine(d, "summary.json")));
        var outcomes = File.ReadAllLines(Path.Combine(folder, "outcomes.jsonl")).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        return (outcomes, JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json"))).RootElement.Clone());
    }

    /// <summary>An image scaled by <paramref name="factor"/>, as a JPEG.</summary>
    private static byte[] Blurred(byte[] jpeg, double sigma)
    {
        using var image = ImageCodec.Decode(jpeg);
        using var blurred = new Mat();
        Cv2.GaussianBlur(image, blurred, new Size(0, 0), sigma);
        return ImageCodec.Encode(blurred, ImageFormat.Jpeg, 95);
    }

    private static byte[] Shrunk(byte[] jpeg, double factor)
    {
        using var image = ImageCodec.Decode(jpeg);
        using var small = new Mat();
        Cv2.Resize(image, small, new Size((int)(image.Width * factor), (int)(image.Height * factor)), interpolation: InterpolationFlags.Area);
        return ImageCodec.Encode(small, ImageFormat.Jpeg, 95);
    }

    /// <summary>The default models plus a simswap_256 stand-in that paints every face flat green: no face is found there again.</summary>
    private string ModelsWithBrokenSwapper()
    {
        var folder = Directory.CreateDirectory(Path.Combine(work.FullName, "models")).FullName;
        foreach (var file in Directory.GetFiles(TestAssets.Models.Path, "*.onnx").Where(f => Path.GetFileName(f).StartsWith("fr_", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        File.WriteAllBytes(Path.Combine(folder, PublicModels.SimSwap256 + ".onnx"), PublicModelStandIns.Swapper(256, PublicModelStandIns.Zero, PublicModelStandIns.One, colour: [0f, 1f, 0f]));
        File.WriteAllBytes(Path.Combine(folder, PublicModels.ArcFace + ".onnx"), PublicModelStandIns.ArcFace());
        File.WriteAllBytes(Path.Combine(folder, PublicModels.CrossfaceSimSwap + ".onnx"), PublicModelStandIns.Converter());
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
