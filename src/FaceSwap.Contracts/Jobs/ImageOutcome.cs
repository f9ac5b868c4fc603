namespace FaceSwap.Abstractions.Jobs;

/// <summary>What happened to one image.</summary>
public enum ImageStatus
{
    /// <summary>Swapped and written.</summary>
    Ok,
    /// <summary>No face found.</summary>
    NoFace,
    /// <summary>Failed; see the error class.</summary>
    Failed,
    /// <summary>Its output already matched; nothing done.</summary>
    Skipped,
}

/// <summary>The outcome of one image, as written to the job's outcomes manifest.</summary>
public sealed record ImageOutcome
{
    /// <summary>Path relative to the job's input prefix (and output prefix).</summary>
    public required string Path { get; init; }

    /// <summary>
    /// Where the output was written, relative to the output prefix, when that differs from <see cref="Path"/> (the
    /// job's format, or a HEIC/AVIF input, changed the extension); null when it is <see cref="Path"/>.
    /// </summary>
    public string? Output { get; init; }

    /// <summary>
    /// The input was copied to the output as it is (the job's copy-unswapped option: no face, or none selected);
    /// nothing in it was changed and it carries no AI mark.
    /// </summary>
    public bool Untouched { get; init; }

    /// <summary>Status.</summary>
    public ImageStatus Status { get; init; }

    /// <summary>Class of failure (not_an_image, truncated_image, storage_error, ...), when failed.</summary>
    public string? ErrorClass { get; init; }

    /// <summary>What went wrong, for people.</summary>
    public string? Message { get; init; }

    /// <summary>Faces swapped (those lost after the swap included: see <see cref="FacesLost"/>).</summary>
    public int Faces { get; init; }

    /// <summary>
    /// Mean identity similarity to the source after the swap, measured on the output, over the faces found again; the
    /// figures of each face are in <see cref="FaceOutcomes"/>.
    /// </summary>
    public float? Similarity { get; init; }

    /// <summary>Processing time in milliseconds.</summary>
    public double Milliseconds { get; init; }

    /// <summary>The silo that processed it.</summary>
    public string? Silo { get; init; }

    /// <summary>Per-stage milliseconds.</summary>
    public IReadOnlyDictionary<string, double>? Stages { get; init; }

    /// <summary>Faces found but left untouched by the job's face selection (0 when every face was swapped).</summary>
    public int FacesSkipped { get; init; }

    /// <summary>
    /// Why faces were left untouched, reason to count: <c>not_reference</c> (further than the reference distance from
    /// every reference), <c>too_small</c> (under the minimum face size), <c>not_largest</c>; null when none were.
    /// </summary>
    public IReadOnlyDictionary<string, int>? SkipReasons { get; init; }

    /// <summary>Reference mode: the smallest distance of a face that was not swapped as not_reference, to tune the distance by.</summary>
    public float? NearestSkippedDistance { get; init; }

    /// <summary>Matrix jobs: the source put into the image (<see cref="Path"/> then starts with its folder); null otherwise.</summary>
    public string? Identity { get; init; }

    /// <summary>Source sets: the photo of the set put into each swapped face, largest face first; null for a single source.</summary>
    public IReadOnlyList<string>? SourcesUsed { get; init; }

    /// <summary>Whether the image's decoding and analysis came from the repeat-image cache (same content seen before).</summary>
    public bool CacheHit { get; init; }

    /// <summary>
    /// Every swapped face, largest first: its box, similarity before and after, tint, shade, detail, source scale and
    /// whether it needs a look. A face lost after the swap is listed with a null similarity. Null when no face was swapped.
    /// </summary>
    public IReadOnlyList<FaceOutcome>? FaceOutcomes { get; init; }

    /// <summary>Swapped faces that were not found again on the output: failed swaps (their similarity is null).</summary>
    public int FacesLost { get; init; }

    /// <summary>Swapped faces that need a look (lost, outside a realism threshold, or from a much smaller source).</summary>
    public int FacesToReview { get; init; }

    /// <summary>
    /// Whether the written output carries the AI-generated marks (XMP metadata, and the watermark unless the job turned
    /// it off): true when a face was replaced; false for an image written with no face replaced (reference mode, or
    /// every face too small), which is not marked as nothing in it was generated; null when no output was written.
    /// </summary>
    public bool? Marked { get; init; }
}
