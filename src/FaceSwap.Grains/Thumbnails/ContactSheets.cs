using System.Globalization;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Quality;
using FaceSwap.Grains.Batch;
using FaceSwap.Grains.Hosting;
using FaceSwap.Grains.Inference;
using FaceSwap.Storage;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace FaceSwap.Grains.Thumbnails;

/// <summary>
/// A preview job's contact sheet (<see cref="JobFiles.ContactSheet"/>), drawn on an inference silo where full-size
/// decodes are made anyway: one row per swapped face, largest first within an image and images in path order, with the
/// same square region of the input and of the written output side by side and that face's figures (similarity before
/// and after, tint, shade, detail, source enlargement, review reasons) beside them. Images are decoded as the engine
/// decodes them (<see cref="ImageCodec.Decode"/>: EXIF orientation applied, the face boxes' frame), one at a time.
/// </summary>
public sealed class ContactSheets(IBlobStore store, IOptions<FaceSwapSiloOptions> options) : IDisposable
{
    /// <summary>The most faces one sheet shows (a footer counts the rest): about 26,000 pixels tall.</summary>
    public const int MaxFaces = 150;

    private readonly SemaphoreSlim oneAtATime = new(1);
    private readonly CancellationTokenSource stopping = new();

    /// <summary>Draws and writes the contact sheet of job <paramref name="jobId"/>; returns how many faces it shows.</summary>
    public async Task<int> DrawAsync(string jobId, JobSpec spec)
    {
        await oneAtATime.WaitAsync(stopping.Token);
        try
        {
            // Off the grain's scheduler, as all decoding on this silo.
            return await Task.Run(() => DrawCoreAsync(jobId, spec, stopping.Token));
        }
        finally
        {
            oneAtATime.Release();
        }
    }

    private async Task<int> DrawCoreAsync(string jobId, JobSpec spec, CancellationToken cancellationToken)
    {
        var outcomes = (await JobOutcomes.ReadLatestAsync(store, JobFiles.Outcomes(spec, jobId), cancellationToken))
            .OrderBy(o => o.Path, StringComparer.Ordinal).ToList();
        var images = new List<(ImageOutcome Outcome, IReadOnlyList<FaceOutcome> Faces, bool DoneBefore)>();
        foreach (var outcome in outcomes)
        {
            if (outcome.Status == ImageStatus.Ok && outcome.FaceOutcomes is { Count: > 0 } faces)
            {
                images.Add((outcome, faces, false));
            }
            else if (outcome.Status == ImageStatus.Skipped && outcome.ErrorClass is null
                && await DoneBeforeAsync(spec, outcome, cancellationToken) is { Count: > 0 } recorded)
            {
                // Written by an earlier job with the same spec (a preview run again): its faces are those recorded with the output.
                images.Add((outcome, recorded, true));
            }
        }

        var total = images.Sum(i => i.Faces.Count);
        var shown = Math.Min(total, MaxFaces);
        var noFace = outcomes.Count(o => o.Status == ImageStatus.NoFace);
        var failed = outcomes.Count(o => o.Status == ImageStatus.Failed);
        var toReview = images.Sum(i => i.Faces.Count(f => f.NeedsReview));
        var untouched = outcomes.Where(o => o.FacesSkipped > 0).SelectMany(o => o.SkipReasons ?? new Dictionary<string, int>())
            .GroupBy(r => r.Key).Select(g => (Reason: g.Key, Count: g.Sum(r => r.Value))).OrderByDescending(r => r.Count).ToList();
        var title = $"Preview {jobId}: {Plural(outcomes.Count, "image")}, {Plural(total, "face")} swapped";
        List<IReadOnlyList<ContactSheetSpan>> header =
        [
            [
                Muted("source "), new(Path.GetFileName(spec.Source)),
                Muted("   input "), new(Shown(spec.Input)),
            ],
            [
                new($"{images.Count} with faces, {noFace} without, {failed} failed"),
                Muted("   ·   "),
                total == 0 ? new("no face was swapped", ContactSheetTone.Bad)
                    : toReview == 0 ? new("every face within the thresholds", ContactSheetTone.Good)
                    : new($"{Plural(toReview, "face")} to review", ContactSheetTone.Bad),
            ],
            .. untouched.Count == 0 ? Array.Empty<IReadOnlyList<ContactSheetSpan>>()
                : [[new($"{Plural(untouched.Sum(r => r.Count), "face")} left untouched, not on this sheet: " + string.Join(", ", untouched.Select(r => $"{r.Count} {r.Reason}")))]],
            [
                Muted(FormattableString.Invariant(
                    $"similarity before → after;  thresholds: tint ≤ {RealismFigures.MaxTint:0}, shade ≤ {RealismFigures.MaxShade:0}, detail {RealismFigures.MinDetail:0.00}–{RealismFigures.MaxDetail:0.00}, sharpness ≥ {RealismFigures.MinSharpness:0.0}, source ≤ {FaceReport.SoftSourceScale:0.0}x")),
            ],
        ];
        var footer = total > shown ? $"{total - shown} more faces are not shown: every face's figures are in outcomes.jsonl and summary.json" : null;

        using var sheet = new ContactSheet(title, header, shown, footer);
        var left = shown;
        var limit = Math.Min(spec.Options.MaxPixels, options.Value.MaxPixels);
        foreach (var (outcome, faces, doneBefore) in images)
        {
            if (left == 0)
            {
                break;
            }

            var count = Math.Min(left, faces.Count);
            left -= count;
            Mat? before = null;
            Mat? after = null;
            string? problem = null;
            try
            {
                before = await DecodeAsync(SourceMatrix.InputPath(spec, spec.Input + outcome.Path), spec, limit, cancellationToken);
                after = await DecodeAsync(spec.Output + (outcome.Output ?? outcome.Path), spec, limit, cancellationToken);
            }
            catch (Exception e) when (e is IOException or FaceSwap.Engine.FaceSwapException)
            {
                problem = e.Message;
            }

            try
            {
                for (var i = 0; i < count; i++)
                {
                    var face = faces[i];
                    var lines = Lines(outcome, face, i, faces.Count, doneBefore, problem);
                    if (before is null || after is null)
                    {
                        using var blank = new Mat(ContactSheet.Crop, ContactSheet.Crop, MatType.CV_8UC3, new Scalar(200, 200, 200));
                        sheet.AddRow(blank, blank, lines);
                        continue;
                    }

                    using var beforeCrop = ContactSheet.CropAround(before, Box(face.Box, 1, 1));

                    // The output has its input's size; should a format or codec round it, the box is scaled along.
                    using var afterCrop = ContactSheet.CropAround(after, Box(face.Box, after.Width / (double)before.Width, after.Height / (double)before.Height));
                    sheet.AddRow(beforeCrop, afterCrop, lines);
                }
            }
            finally
            {
                before?.Dispose();
                after?.Dispose();
            }
        }

        await store.WriteAsync(JobFiles.ContactSheet(spec, jobId), sheet.ToPng(), "image/png", null, cancellationToken);
        return shown;
    }

    /// <summary>
    /// A store path as its user names it: plain local storage is rooted at the file system's root, so its paths are
    /// absolute paths without their leading '/'.
    /// </summary>
    private string Shown(string path) =>
        StorageSetting.TryParse(options.Value.Storage, out var storage, out _) && storage is { IsLocal: true, NamesFolder: false } ? "/" + path : path;

    /// <summary>The faces recorded with the output of an image an earlier job did, or null.</summary>
    private async Task<IReadOnlyList<FaceOutcome>?> DoneBeforeAsync(JobSpec spec, ImageOutcome outcome, CancellationToken cancellationToken)
    {
        var stamp = await store.GetStampAsync(spec.Output + (outcome.Output ?? outcome.Path), cancellationToken);
        return RecordedOutcome.Figures(stamp?.Metadata)?.FaceOutcomes;
    }

    private async Task<Mat> DecodeAsync(string path, JobSpec spec, long maxPixels, CancellationToken cancellationToken) =>
        ImageCodec.Decode(await store.ReadAllBytesAsync(path, spec.Options.MaxFileBytes, cancellationToken), maxPixels);

    private static Rect Box(IReadOnlyList<int> box, double sx, double sy) => new(
        (int)Math.Round(box[0] * sx), (int)Math.Round(box[1] * sy), Math.Max(1, (int)Math.Round(box[2] * sx)), Math.Max(1, (int)Math.Round(box[3] * sy)));

    /// <summary>The text of one face's row.</summary>
    private static List<IReadOnlyList<ContactSheetSpan>> Lines(ImageOutcome outcome, FaceOutcome face, int index, int count, bool doneBefore, string? problem)
    {
        var lines = new List<IReadOnlyList<ContactSheetSpan>>
        {
            new List<ContactSheetSpan>
            {
                new(outcome.Path, ContactSheetTone.Strong),
                Muted($"  face {index + 1} of {count}{(doneBefore ? " · done before" : "")}"),
            },
            new List<ContactSheetSpan>
            {
                Muted("similarity "),
                new(Number(face.SimilarityBefore, "0.00") + " → "),
                face.Similarity is { } after ? new(Number(after, "0.00"), ContactSheetTone.Strong) : new("lost", ContactSheetTone.Bad),
            },
            new List<ContactSheetSpan>
            {
                Muted("tint "), Figure(face.Tint, "0.0", v => v > RealismFigures.MaxTint),
                Muted("    shade "), Figure(face.Shade, "0.0", v => v > RealismFigures.MaxShade),
                Muted("    detail "), Figure(face.Detail, "0.00", v => v is < RealismFigures.MinDetail or > RealismFigures.MaxDetail),
                Muted("    sharpness "), Figure(face.Sharpness, "0.00", v => v < RealismFigures.MinSharpness),
            },
        };
        var source = new List<ContactSheetSpan> { Muted("source enlarged "), Figure(face.SourceScale, "0.0", v => v > FaceReport.SoftSourceScale, "x") };
        // A single source is named "source", a set's photo by its path; " (mirrored)" follows when its mirror image fitted better.
        if (face.Source is { } photo)
        {
            var mirrored = photo.EndsWith(Mirrored, StringComparison.Ordinal);
            var name = Path.GetFileName(mirrored ? photo[..^Mirrored.Length] : photo);
            if (name != "source" || mirrored)
            {
                source.Add(Muted(name == "source" ? "  (mirrored source)" : $"  from {name}{(mirrored ? ", mirrored" : "")}"));
            }
        }

        lines.Add(source);
        lines.Add(problem is not null ? [new($"images not readable now: {problem}", ContactSheetTone.Bad)]
            : face.NeedsReview ? [new("needs review: " + string.Join(", ", face.Review ?? []), ContactSheetTone.Bad)]
            : [new("within the thresholds", ContactSheetTone.Good)]);
        return lines;
    }

    private const string Mirrored = " (mirrored)";

    private static ContactSheetSpan Figure(float? value, string format, Func<float, bool> outside, string unit = "") =>
        value is { } v ? new(Number(v, format) + unit, outside(v) ? ContactSheetTone.Bad : ContactSheetTone.Normal) : Muted("–");

    private static ContactSheetSpan Muted(string text) => new(text, ContactSheetTone.Muted);

    private static string Number(float value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Plural(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";

    /// <inheritdoc />
    public void Dispose()
    {
        stopping.Cancel();
        stopping.Dispose();
        oneAtATime.Dispose();
    }
}
