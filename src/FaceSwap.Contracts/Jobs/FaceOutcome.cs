using System.Text.Json.Serialization;

namespace FaceSwap.Abstractions.Jobs;

/// <summary>Why a swapped face needs a look: the values of <see cref="FaceOutcome.Review"/>.</summary>
public static class ReviewReasons
{
    /// <summary>The face was not found again on the written output: a failed swap (its similarity is null).</summary>
    public const string Lost = "lost";

    /// <summary>Found again, but with too little skin in the frame to measure tint, shade and detail.</summary>
    public const string Unmeasured = "unmeasured";

    /// <summary>The face's low-frequency colour moved from the target's by more than the tint threshold (a colour cast or patch).</summary>
    public const string Tint = "tint";

    /// <summary>The face's low-frequency light moved from the target's by more than the shade threshold (a bright band, a dark patch).</summary>
    public const string Shade = "shade";

    /// <summary>The face's fine texture is much softer or sharper than the target's (detail outside its range).</summary>
    public const string Detail = "detail";

    /// <summary>
    /// The face's eyes are much softer than the target's own (sharpness under its threshold): an out-of-focus,
    /// turned or small source, and the face looks blurred or ghostly.
    /// </summary>
    public const string Soft = "soft";

    /// <summary>The source face was enlarged by more than the largest factor that keeps detail: the result is soft.</summary>
    public const string SourceSmall = "source_small";

    /// <summary>Every reason, in the order they are listed.</summary>
    public static IReadOnlyList<string> All { get; } = [Lost, Unmeasured, Tint, Shade, Detail, Soft, SourceSmall];
}

/// <summary>
/// One swapped face of an image: where it is, its identity similarity to the source before and after the swap, and the
/// realism figures measured on the written output with fresh detection (docs/quality.md). A face not found again on
/// the output is a failed swap: its <see cref="Similarity"/> is null (written as <c>null</c>, never left out) and its
/// review reasons start with <c>lost</c>.
/// </summary>
public sealed record FaceOutcome
{
    /// <summary>The face's box in the input image: x, y, width, height in pixels.</summary>
    public required IReadOnlyList<int> Box { get; init; }

    /// <summary>Identity similarity of the target's face to the source before the swap (cosine of embeddings).</summary>
    public float SimilarityBefore { get; init; }

    /// <summary>Identity similarity to the source measured on the written output; null when the face was not found again (lost).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public float? Similarity { get; init; }

    /// <summary>How far the face's low-frequency colour moved from the target's (Lab a*b*, 95th percentile over the skin); null when not measured.</summary>
    public float? Tint { get; init; }

    /// <summary>How far the face's low-frequency light moved from the target's (Lab L, 0-100, 95th percentile over the skin); null when not measured.</summary>
    public float? Shade { get; init; }

    /// <summary>The face's fine texture, output over input (1 = same); null when not measured.</summary>
    public float? Detail { get; init; }

    /// <summary>How sharp the face's eyes are, output over input (1 = as sharp as the target's own); null when not measured.</summary>
    public float? Sharpness { get; init; }

    /// <summary>How much the source face was enlarged to fit this face (target eye distance over the source's).</summary>
    public float? SourceScale { get; init; }

    /// <summary>Whether the face needs a look (see <see cref="Review"/> for why).</summary>
    public bool NeedsReview { get; init; }

    /// <summary>Why the face needs a look (<see cref="ReviewReasons"/>); null when it does not.</summary>
    public IReadOnlyList<string>? Review { get; init; }

    /// <summary>Source sets: the photo of the set put into this face; null for a single source.</summary>
    public string? Source { get; init; }
}
