namespace FaceSwap.Abstractions.Jobs;

/// <summary>Which target faces a job swaps.</summary>
public enum FaceMode
{
    /// <summary>Every detected face.</summary>
    All,
    /// <summary>Only the largest face of each image.</summary>
    Largest,
    /// <summary>Only faces of the people shown in <see cref="JobOptions.References"/>.</summary>
    Reference,
}

/// <summary>Options of a job that change its outputs or how fast it runs.</summary>
public sealed record JobOptions
{
    /// <summary>Which faces to swap.</summary>
    public FaceMode Faces { get; init; } = FaceMode.All;

    /// <summary>Images per inference call.</summary>
    public int BatchSize { get; init; } = 4;

    /// <summary>Images listed ahead and in flight at most (the bounded window of the job).</summary>
    public int Prefetch { get; init; } = 16;

    /// <summary>JPEG/WebP quality of outputs.</summary>
    public int Quality { get; init; } = 92;

    /// <summary>Images with more pixels are refused.</summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>Largest input file accepted, in bytes.</summary>
    public long MaxFileBytes { get; init; } = 200L * 1024 * 1024;

    /// <summary>Embed the invisible watermark carrying the job id in every output (on unless turned off).</summary>
    public bool Watermark { get; init; } = true;

    /// <summary>
    /// Reference mode (<see cref="FaceMode.Reference"/>): storage paths of photos of the people whose faces are swapped
    /// (one face each). A reference without a usable face fails the job at start.
    /// </summary>
    public IReadOnlyList<string>? References { get; init; }

    /// <summary>
    /// Reference mode: a face is swapped when its cosine distance (1 - cosine similarity of identity embeddings) to
    /// some reference is at most this; in (0, 2]. The default 0.3 is measured in docs/face-selection.md.
    /// </summary>
    public float ReferenceDistance { get; init; } = DefaultReferenceDistance;

    /// <summary>Faces whose box's shorter side is under this many pixels are left untouched (every mode); 0: none.</summary>
    public int MinFace { get; init; }

    /// <summary>What a job does with several <see cref="JobSpec.Sources"/>: one person's set (default), or each one against every target.</summary>
    public SourcesMode SourcesMode { get; init; } = SourcesMode.Set;
    /// <summary>The face swapper: morph (the embedded default), inswapper_128 or simswap_256 (user-supplied models, docs/models.md).</summary>
    public string Swapper { get; init; } = "morph";

    /// <summary>The face enhancer run on swapped faces: none or gfpgan_1.4.</summary>
    public string Enhancer { get; init; } = "none";

    /// <summary>The face detector: default (embedded), scrfd_2.5g or yoloface_8n.</summary>
    public string Detector { get; init; } = "default";

    /// <summary>Neural swappers: share of the generated face where it is pasted back, 0 to 1 (default 1, as FaceFusion).</summary>
    public float BlendRatio { get; init; } = 1f;

    /// <summary>Neural swappers: paste back with Poisson blending instead of the feathered alpha blend.</summary>
    public bool Poisson { get; init; }

    /// <summary>The 68-point landmarker: default (embedded) or 2dfan4 (falls back to the default where not confident).</summary>
    public string Landmarker { get; init; } = "default";

    /// <summary>Neural swappers: the size a face is swapped at, 128, 256, 384 or 512 (tiling the model); 0 chooses by face size.</summary>
    public int PixelBoost { get; init; }

    /// <summary>
    /// Neural swappers: percent of the swapped crop kept out of the mask, as FaceFusion reads it: one value (all sides),
    /// two (top and bottom, left and right) or four (top, right, bottom, left); null: none.
    /// </summary>
    public IReadOnlyList<int>? MaskPadding { get; init; }

    /// <summary>
    /// Replace existing output files that FaceSwap did not write (files without FaceSwap's metadata: someone's own
    /// photos, or outputs edited since). Off by default: such a file is left as it is and its image is recorded as
    /// skipped with the code <c>not_ours</c>.
    /// </summary>
    public bool Overwrite { get; init; }

    /// <summary>
    /// The outputs' encoding: <c>keep</c> (each output in its input's format; HEIC/HEIF and AVIF, which the engine
    /// reads but does not write, as JPEG), <c>jpg</c>, <c>png</c> or <c>webp</c>. An output of another format than its
    /// input takes that format's extension in place of the input's.
    /// </summary>
    public string Format { get; init; } = "keep";

    /// <summary>Leave the GPS position out of the EXIF copied from each input to its output.</summary>
    public bool StripGps { get; init; }

    /// <summary>
    /// Copy images with no face, or no face the selection takes, to the output as they are (byte for byte, no AI
    /// mark), so the output tree has no holes; their outcomes say <see cref="ImageOutcome.Untouched"/>.
    /// </summary>
    public bool CopyUnswapped { get; init; }

    /// <summary>
    /// A preview: swap only this many images, chosen across the input's folders (spread over them, the same ones every
    /// time for the same input), write their outputs as the full job would, draw one contact sheet of their faces
    /// (<c>_faceswap/&lt;jobId&gt;/contact-sheet.png</c> beside the summary) and stop. 1 to <see cref="MaxPreview"/>; null:
    /// the whole input. It does not change the outputs, so the full job run afterwards skips the previewed images.
    /// </summary>
    public int? Preview { get; init; }

    /// <summary>The largest <see cref="Preview"/>: a preview is a look before a job, not a job.</summary>
    public const int MaxPreview = 100;

    /// <summary>The values of <see cref="Format"/>.</summary>
    public static readonly IReadOnlyList<string> Formats = ["keep", "jpg", "png", "webp"];

    /// <summary>The default <see cref="MaxPixels"/>: 64 megapixels (a host with a lower limit uses its own).</summary>
    public const long DefaultMaxPixels = 64L * 1000 * 1000;

    /// <summary>The default <see cref="ReferenceDistance"/>.</summary>
    public const float DefaultReferenceDistance = 0.3f;

    /// <summary>The largest <see cref="BatchSize"/>.</summary>
    public const int MaxBatchSize = 64;

    /// <summary>The largest <see cref="Prefetch"/>.</summary>
    public const int MaxPrefetch = 1024;

    /// <summary>The most references a job may name.</summary>
    public const int MaxReferences = 16;

    /// <summary>Equal options, comparing <see cref="References"/> and <see cref="MaskPadding"/> by content.</summary>
    public bool SameAs(JobOptions other) =>
        this with { References = null, MaskPadding = null } == other with { References = null, MaskPadding = null }
        && (References ?? []).SequenceEqual(other.References ?? [])
        && (MaskPadding ?? []).SequenceEqual(other.MaskPadding ?? []);
}

/// <summary>
/// What a job does: the source face, the input prefix whose images are swapped and the output prefix that mirrors it.
/// Paths are blob-store paths, "container/some/prefix/".
/// </summary>
public sealed record JobSpec
{
    /// <summary>Path of the image holding the source face.</summary>
    public required string Source { get; init; }

    /// <summary>Input prefix (a folder), listed recursively.</summary>
    public required string Input { get; init; }

    /// <summary>Output prefix; each output keeps its input's relative path.</summary>
    public required string Output { get; init; }

    /// <summary>Options.</summary>
    public JobOptions Options { get; init; } = new();

    /// <summary>Who submitted the job (API key name, user, "cli").</summary>
    public string? SubmittedBy { get; init; }

    /// <summary>A reference to the consent on record for the source face.</summary>
    public string? ConsentReference { get; init; }

    /// <summary>Where the job mirrors its status as JSON (a blob-drop job's <c>_faceswap/status.json</c>); null for none.</summary>
    public string? StatusPath { get; init; }

    /// <summary>
    /// Several sources, when the job has more than <see cref="Source"/> (which is then the first image among them):
    /// image paths and folder prefixes (ending in '/'). With <see cref="SourcesMode.Set"/> they are photos of one
    /// person; with <see cref="SourcesMode.Each"/> each entry is one identity (a folder: a set of one person).
    /// </summary>
    public IReadOnlyList<string>? Sources { get; init; }
}
