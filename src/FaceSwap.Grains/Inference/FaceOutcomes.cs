using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Quality;

namespace FaceSwap.Grains.Inference;

/// <summary>
/// The engine's per-face reports as users see them: in every outcome line, the API, the SDK, the web page, summary.json
/// and <c>faceswap swap --report</c>, with the same figures and the same review reasons everywhere.
/// </summary>
public static class FaceOutcomes
{
    /// <summary>The outcome of each swapped face of <paramref name="reports"/>, in the engine's order (largest first).</summary>
    public static IReadOnlyList<FaceOutcome> Of(IEnumerable<FaceReport> reports) => reports.Where(f => f.Swapped).Select(Of).ToList();

    /// <summary>One swapped face's outcome.</summary>
    public static FaceOutcome Of(FaceReport face)
    {
        var reasons = Reasons(face);
        return new FaceOutcome
        {
            Box = face.Box,
            SimilarityBefore = MathF.Round(face.SimilarityBefore, 4),
            Similarity = face.SimilarityAfter is { } after ? MathF.Round(after, 4) : null,
            Tint = face.Realism?.Tint,
            Shade = face.Realism?.Shade,
            Detail = face.Realism?.Detail,
            Sharpness = face.Realism?.Sharpness,
            SourceScale = face.SourceScale,
            NeedsReview = face.NeedsReview || reasons.Count > 0,
            Review = reasons.Count > 0 ? reasons : null,
            Source = face.Source,
        };
    }

    /// <summary>
    /// Why a swapped face needs a look (<see cref="ReviewReasons"/>): lost after the swap; found again but not measurable;
    /// tint, shade or detail outside the thresholds of <see cref="RealismFigures"/>, or eyes too soft; a source enlarged by more than
    /// <see cref="FaceReport.SoftSourceScale"/>. Empty for a face that is fine, or one that was not swapped.
    /// </summary>
    public static IReadOnlyList<string> Reasons(FaceReport face)
    {
        var reasons = new List<string>();
        if (!face.Swapped)
        {
            return reasons;
        }

        if (face.SimilarityAfter is null)
        {
            reasons.Add(ReviewReasons.Lost);
        }
        else if (face.Realism is not { } realism)
        {
            reasons.Add(ReviewReasons.Unmeasured);
        }
        else
        {
            if (realism.Tint > RealismFigures.MaxTint)
            {
                reasons.Add(ReviewReasons.Tint);
            }

            if (realism.Shade > RealismFigures.MaxShade)
            {
                reasons.Add(ReviewReasons.Shade);
            }

            if (realism.Detail is < RealismFigures.MinDetail or > RealismFigures.MaxDetail)
            {
                reasons.Add(ReviewReasons.Detail);
            }

            if (realism.Sharpness < RealismFigures.MinSharpness)
            {
                reasons.Add(ReviewReasons.Soft);
            }
        }

        if (face.SourceScale > FaceReport.SoftSourceScale)
        {
            reasons.Add(ReviewReasons.SourceSmall);
        }

        return reasons;
    }

    /// <summary>The thresholds a face is reviewed against, as summary.json and the reports state them.</summary>
    public static ReviewThresholds Thresholds { get; } = new(RealismFigures.MaxTint, RealismFigures.MaxShade, RealismFigures.MinDetail, RealismFigures.MaxDetail, RealismFigures.MinSharpness, FaceReport.SoftSourceScale);
}

/// <summary>The thresholds of the review: a face within all of them, found again, needs no look.</summary>
/// <param name="MaxTint">Largest tint.</param>
/// <param name="MaxShade">Largest shade.</param>
/// <param name="MinDetail">Smallest detail ratio.</param>
/// <param name="MaxDetail">Largest detail ratio.</param>
/// <param name="MinSharpness">Smallest sharpness of the eyes (output over input, at 40 px between the eyes).</param>
/// <param name="MaxSourceScale">Largest enlargement of the source face.</param>
public sealed record ReviewThresholds(float MaxTint, float MaxShade, float MinDetail, float MaxDetail, float MinSharpness, float MaxSourceScale);
