using FaceSwap.Engine.Imaging;

namespace FaceSwap.Engine.Pipeline;

/// <summary>Which target faces to swap.</summary>
public enum FaceSelection
{
    /// <summary>Every detected face.</summary>
    All,
    /// <summary>Only the largest face.</summary>
    Largest,
    /// <summary>Only faces whose identity is within <see cref="SwapRequest.ReferenceDistance"/> of a reference face.</summary>
    Reference,
}

/// <summary>Why a detected target face was not swapped (the <see cref="FaceReport.Reason"/> values).</summary>
public static class SkipReasons
{
    /// <summary>Reference mode: the face is further than the reference distance from every reference.</summary>
    public const string NotReference = "not_reference";

    /// <summary>The face box's shorter side is under the minimum face size.</summary>
    public const string TooSmall = "too_small";

    /// <summary>Largest mode: another face is larger.</summary>
    public const string NotLargest = "not_largest";

    /// <summary>The face is turned too far from the source's pose for the source to cover it.</summary>
    public const string PoseOutOfReach = "pose_out_of_reach";

    /// <summary>The source face would have to be enlarged more than <see cref="FaceReport.MaxSourceScale"/> times.</summary>
    public const string SourceTooSmall = "source_too_small";
}

/// <summary>How one target image is swapped and written.</summary>
public sealed record SwapRequest
{
    /// <summary>Which faces to replace.</summary>
    public FaceSelection Faces { get; init; } = FaceSelection.All;

    /// <summary>
    /// Identity embeddings of the reference faces (see <see cref="FaceEngine.PrepareReference"/>); used when
    /// <see cref="Faces"/> is <see cref="FaceSelection.Reference"/>.
    /// </summary>
    public IReadOnlyList<float[]> References { get; init; } = [];

    /// <summary>
    /// Reference mode: the largest cosine distance (1 - cosine similarity) to some reference at which a face counts
    /// as that person. See <see cref="DefaultReferenceDistance"/>.
    /// </summary>
    public float ReferenceDistance { get; init; } = DefaultReferenceDistance;

    /// <summary>
    /// Default reference distance. Measured on the 13 faces of the demo photos (docs/face-selection.md): different
    /// people are 0.39 .. 1.19 apart (median 0.95); the same clear face (a crop vs. the full photo, a 60% JPEG-60 copy
    /// or its mirror image) 0.005 .. 0.155. 0.3 keeps twice the worst clear same-person distance and stays under the
    /// closest pair of different people; profile or occluded faces can be further from their own reference and are
    /// then left untouched.
    /// </summary>
    public const float DefaultReferenceDistance = 0.3f;

    /// <summary>Faces whose box's shorter side is under this many pixels are not swapped (every mode); 0: no minimum.</summary>
    public int MinFace { get; init; }

    /// <summary>Encoding of the output.</summary>
    public ImageFormat OutputFormat { get; init; } = ImageFormat.Jpeg;

    /// <summary>JPEG/WebP quality.</summary>
    public int Quality { get; init; } = 92;

    /// <summary>Leave the input's GPS position out of the EXIF copied to the output.</summary>
    public bool StripGps { get; init; }

    /// <summary>Measure identity similarity after the swap on the written output (fresh detection and landmarks).</summary>
    public bool MeasureAfter { get; init; } = true;

    /// <summary>The job the output belongs to, recorded in its XMP (and carried by the watermark); null for none.</summary>
    public string? JobId { get; init; }

    /// <summary>Embed the invisible watermark carrying the job id (needs <see cref="JobId"/>).</summary>
    public bool Watermark { get; init; }

    /// <summary>The input's name: when set, content of another format than its extension names is refused.</summary>
    public string? InputName { get; init; }

    /// <summary>Repeat-image cache: targets with the same content are decoded and analysed once; null for none.</summary>
    public TargetAnalysisCache? Cache { get; init; }
    /// <summary>A swapper other than the engine's (a public model, see <see cref="Models.NeuralModels"/>); null: the engine's.</summary>
    public Swapping.IFaceSwapper? Swapper { get; init; }

    /// <summary>A face enhancer run on each swapped face; null: the engine's (none).</summary>
    public Enhancement.IFaceEnhancer? Enhancer { get; init; }

    /// <summary>A face detector other than the engine's for the target image; null: the engine's.</summary>
    public Detection.IFaceDetector? Detector { get; init; }

    /// <summary>A 68-point landmarker other than the engine's; where it is not confident the engine's is used. Null: the engine's.</summary>
    public Landmarks.IFaceLandmarker? Landmarker { get; init; }
}

/// <summary>
/// What happened to one detected target face. <paramref name="Selected"/> faces are swapped (<paramref name="Swapped"/>);
/// the others say why not in <paramref name="Reason"/> (<see cref="SkipReasons"/>). <paramref name="ReferenceDistance"/>
/// is the face's cosine distance to its nearest reference, in reference mode. <paramref name="Source"/> names the photo
/// of a source set that was put into the face (null for a single source). <paramref name="Realism"/> holds the tint, shade
/// and detail figures of a swapped face measured on the output (null when not measured or not found again).
/// <paramref name="SourceScale"/> is how much the source face was enlarged to fit this face (target eye distance over the
/// source's; above <see cref="FaceReport.SoftSourceScale"/> the result is soft and the face is flagged for review, above
/// <see cref="FaceReport.MaxSourceScale"/> the face is not swapped).
/// </summary>
public sealed record FaceReport(int[] Box, float Score, float SimilarityBefore, float? SimilarityAfter, bool Swapped,
    bool Selected = true, string? Reason = null, float? ReferenceDistance = null, string? Source = null, Quality.RealismFigures? Realism = null,
    float? SourceScale = null)
{
    /// <summary>Largest enlargement of the source a face is swapped with (measured: docs/quality.md).</summary>
    public const float MaxSourceScale = 2f;

    /// <summary>Enlargements above this (up to <see cref="MaxSourceScale"/>) give a soft face, listed for review.</summary>
    public const float SoftSourceScale = 1.5f;

    /// <summary>
    /// Whether a swapped face needs a look: lost after the swap, outside a realism threshold, or made from a source
    /// enlarged more than <see cref="SoftSourceScale"/> times.
    /// </summary>
    public bool NeedsReview => Swapped && (SimilarityAfter is null || Realism is not { WithinThresholds: true } || SourceScale > SoftSourceScale);
}

/// <summary>The result of swapping one image; <paramref name="CacheHit"/> when its analysis came from the repeat-image cache.</summary>
public sealed record SwapResult(byte[] Output, int Width, int Height, IReadOnlyList<FaceReport> Faces, IReadOnlyDictionary<string, double> TimingsMs,
    bool CacheHit = false)
{
    /// <summary>
    /// Whether the output carries the AI-generated marks (XMP, and the watermark when asked for): only an image with a
    /// replaced face does; one where no face was selected is written unmarked, as nothing in it was generated.
    /// </summary>
    public bool Marked => Faces.Any(f => f.Swapped);
}
