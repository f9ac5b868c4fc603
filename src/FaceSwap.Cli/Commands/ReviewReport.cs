using System.Globalization;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using FaceSwap.Storage;

namespace FaceSwap.Cli.Commands;

/// <summary>What `faceswap run` prints about the swapped faces' quality: from the job's summary.json, so the two agree.</summary>
public static class ReviewReport
{
    /// <summary>Prints the faces' figures and how many need a look, and where the list is; nothing when no face was swapped.</summary>
    public static async Task PrintAsync(IBlobStore store, JobSpec spec, string jobId, string summaryPath, CancellationToken cancellationToken)
    {
        QualitySummary? quality;
        try
        {
            using var summary = JsonDocument.Parse(await store.ReadAllBytesAsync(JobFiles.Summary(spec, jobId), 64 << 20, cancellationToken));
            quality = summary.RootElement.TryGetProperty("quality", out var node) ? node.Deserialize<QualitySummary>(FaceSwapJson.Options) : null;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            Console.Error.WriteLine($"warning: the job's summary cannot be read ({e.Message}); see {summaryPath}");
            return;
        }

        if (quality is null || quality.FacesSwapped == 0)
        {
            return;
        }

        var t = quality.Thresholds;
        var medians = quality.FacesMeasured > 0
            ? Invariant($"; median tint {quality.MedianTint:0.0} (<= {t.MaxTint:0.#}), shade {quality.MedianShade:0.0} (<= {t.MaxShade:0.#}), detail {quality.MedianDetail:0.00} ({t.MinDetail:0.00}-{t.MaxDetail:0.00})")
            : "";
        var lost = quality.FacesLost > 0 ? $", {quality.FacesLost} lost (not found again on the output: the swap failed)" : "";
        Console.WriteLine($"faces: {quality.FacesSwapped} swapped, {quality.FacesWithinThresholds} of {quality.FacesMeasured} measured within the thresholds{lost}{medians}");
        if (quality.FacesToReview == 0)
        {
            Console.WriteLine("no face needs review");
        }
        else
        {
            var why = string.Join(", ", ReviewReasons.All.Where(quality.Reasons.ContainsKey).Select(r => $"{quality.Reasons[r]} {r}"));
            Console.WriteLine($"{quality.FacesToReview} face{(quality.FacesToReview == 1 ? "" : "s")} need{(quality.FacesToReview == 1 ? "s" : "")} review ({why}): see \"review\" in {summaryPath}");
        }

        if (quality.Reasons.TryGetValue(ReviewReasons.SourceSmall, out var soft) && soft > 0)
        {
            Console.Error.WriteLine(Invariant($"warning: {soft} face{(soft == 1 ? " is" : "s are")} more than {t.MaxSourceScale:0.#}x the source face's size (up to {quality.MaxSourceScale:0.0}x): results will be soft; use a larger photo"));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
