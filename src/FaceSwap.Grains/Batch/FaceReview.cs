using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Inference;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// One face that needs a look, as summary.json lists it: the image, the face's index in the image's
/// <see cref="ImageOutcome.FaceOutcomes"/> (largest first), why, and its figures.
/// </summary>
public sealed record ReviewEntry(
    string Path,
    int Face,
    IReadOnlyList<string> Reasons,
    IReadOnlyList<int> Box,
    float SimilarityBefore,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] float? Similarity,
    float? Tint,
    float? Shade,
    float? Detail,
    float? Sharpness,
    float? SourceScale,
    string? Source,
    string? Identity);

/// <summary>summary.json's <c>review</c>: the first faces that need a look, and how many do in all.</summary>
/// <param name="Total">Faces that need a look in the whole job.</param>
/// <param name="Listed">Faces listed in <paramref name="Faces"/> (at most the limit).</param>
/// <param name="Truncated">Whether more faces need a look than are listed.</param>
/// <param name="Faces">The first faces that need a look, in the order their images finished.</param>
public sealed record ReviewList(long Total, int Listed, bool Truncated, IReadOnlyList<ReviewEntry> Faces);

/// <summary>
/// summary.json's <c>quality</c>: how the job's swapped faces measure up. Medians are over the faces with figures
/// (found again and measurable); <paramref name="Reasons"/> counts faces by each reason (a face may have several).
/// </summary>
public sealed record QualitySummary(
    long FacesSwapped,
    long FacesMeasured,
    long FacesWithinThresholds,
    long FacesLost,
    long FacesToReview,
    float? MedianSimilarity,
    float? MedianTint,
    float? MedianShade,
    float? MedianDetail,
    float? MaxSourceScale,
    IReadOnlyDictionary<string, long> Reasons,
    ReviewThresholds Thresholds);

/// <summary>
/// Builds a job's <see cref="QualitySummary"/> and <see cref="ReviewList"/> from its outcomes in one pass with bounded
/// memory: the list keeps at most <see cref="Limit"/> entries, and medians come from fixed-size histograms at the
/// figures' own rounding (so they are exact), not from a list of every face. Each outcome line that swapped faces counts,
/// as the job's counters count them; an image swapped twice (an output lost and written again) counts twice, but is listed once.
/// </summary>
public sealed class FaceReview(int limit = FaceReview.DefaultLimit)
{
    /// <summary>Faces listed in summary.json at most.</summary>
    public const int DefaultLimit = 1000;

    private readonly List<ReviewEntry> listed = [];
    private readonly HashSet<(string Path, int Face)> seen = [];
    private readonly Histogram similarity = new(-1, 1, 1e-4);
    private readonly Histogram tint = new(0, 100, 0.01);
    private readonly Histogram shade = new(0, 100, 0.01);
    private readonly Histogram detail = new(0, 10, 0.001);
    private readonly Dictionary<string, long> reasons = ReviewReasons.All.ToDictionary(r => r, _ => 0L);
    private long swapped;
    private long within;
    private long lost;
    private long toReview;
    private float? maxSourceScale;

    /// <summary>Faces listed at most.</summary>
    public int Limit { get; } = limit;

    /// <summary>Adds one outcome; outcomes without swapped faces change nothing.</summary>
    public void Add(ImageOutcome outcome)
    {
        if (outcome.Status != ImageStatus.Ok || outcome.FaceOutcomes is not { Count: > 0 } faces)
        {
            return;
        }

        for (var i = 0; i < faces.Count; i++)
        {
            var face = faces[i];
            swapped++;
            if (face.Similarity is { } s)
            {
                similarity.Add(s);
            }
            else
            {
                lost++;
            }

            if (face is { Tint: { } t, Shade: { } sh, Detail: { } d })
            {
                tint.Add(t);
                shade.Add(sh);
                detail.Add(d);
                if (face.Review is null || face.Review.All(r => r is ReviewReasons.SourceSmall or ReviewReasons.Soft))
                {
                    within++;
                }
            }

            if (face.SourceScale is { } scale && (maxSourceScale is null || scale > maxSourceScale))
            {
                maxSourceScale = scale;
            }

            if (!face.NeedsReview)
            {
                continue;
            }

            toReview++;
            foreach (var reason in face.Review ?? [])
            {
                reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
            }

            if (listed.Count < Limit && seen.Add((outcome.Path, i)))
            {
                listed.Add(new ReviewEntry(outcome.Path, i, face.Review ?? [], face.Box, face.SimilarityBefore, face.Similarity,
                    face.Tint, face.Shade, face.Detail, face.Sharpness, face.SourceScale, face.Source, outcome.Identity));
            }
        }
    }

    /// <summary>The figures so far.</summary>
    public QualitySummary Quality => new(swapped, tint.Count, within, lost, toReview,
        similarity.Median(4), tint.Median(2), shade.Median(2), detail.Median(3), maxSourceScale,
        reasons.Where(kv => kv.Value > 0).ToDictionary(), FaceOutcomes.Thresholds);

    /// <summary>The review list so far.</summary>
    public ReviewList Review => new(toReview, listed.Count, toReview > listed.Count, listed);

    /// <summary>Reads a job's outcomes manifest in ranges and builds its review.</summary>
    public static async Task<FaceReview> ReadAsync(IBlobStore store, string manifest, int limit = DefaultLimit, CancellationToken cancellationToken = default)
    {
        var review = new FaceReview(limit);
        await foreach (var outcome in JobOutcomes.ReadEachAsync(store, manifest, "\"faceOutcomes\""u8.ToArray(), cancellationToken))
        {
            review.Add(outcome);
        }

        return review;
    }

    /// <summary>Counts of values in fixed steps over a range (values outside go to the end bins): a median in constant memory.</summary>
    private sealed class Histogram(double min, double max, double step)
    {
        private readonly long[] bins = new long[(int)Math.Round((max - min) / step) + 1];

        public long Count { get; private set; }

        public void Add(double value)
        {
            bins[Math.Clamp((int)Math.Round((value - min) / step), 0, bins.Length - 1)]++;
            Count++;
        }

        /// <summary>The lower median (nearest rank), rounded to <paramref name="digits"/>; null when empty.</summary>
        public float? Median(int digits)
        {
            if (Count == 0)
            {
                return null;
            }

            var rank = (Count + 1) / 2;
            long seen = 0;
            for (var i = 0; i < bins.Length; i++)
            {
                seen += bins[i];
                if (seen >= rank)
                {
                    return (float)Math.Round(min + i * step, digits);
                }
            }

            return (float)max;
        }
    }
}
