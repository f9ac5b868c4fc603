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

/// <summary>One image to process: its path and the version (ETag) that was listed.</summary>
[GenerateSerializer, Immutable, Alias("FaceSwap.WorkItem")]
public sealed record WorkItem([property: Id(0)] string Path, [property: Id(1)] string ETag, [property: Id(2)] long Size)
{
    /// <summary>Matrix jobs: the name of the source this item puts into the image (its output folder); null otherwise.</summary>
    [Id(30)] public string? Identity { get; init; }
}

/// <summary>Images of one job handed to an inference grain together. Names travel, never image bytes.</summary>
[GenerateSerializer, Immutable, Alias("FaceSwap.WorkBatch")]
public sealed record WorkBatch
{
    /// <summary>The job.</summary>
    [Id(0)] public required string JobId { get; init; }

    /// <summary>The job's spec.</summary>
    [Id(1)] public required JobSpec Spec { get; init; }

    /// <summary>Hash of everything that shapes an output (source version, options); recorded with each output.</summary>
    [Id(2)] public required string SpecHash { get; init; }

    /// <summary>The images.</summary>
    [Id(3)] public required IReadOnlyList<WorkItem> Items { get; init; }

    /// <summary>
    /// The BatchGrain activation that sent the batch; null when a partition grain sent it. Work whose run is no longer
    /// the job's live one (its dispatcher's silo was lost and the job came back elsewhere) stops before reading or writing.
    /// </summary>
    [Id(4)] public Guid? Run { get; init; }
}

/// <summary>The outcome of one image, as written to the job's outcomes manifest.</summary>
[GenerateSerializer, Immutable, Alias("FaceSwap.ImageOutcome")]
public sealed record ImageOutcome
{
    /// <summary>Path relative to the job's input prefix (and output prefix).</summary>
    [Id(0)] public required string Path { get; init; }

    /// <summary>Status.</summary>
    /// <summary>
    /// Where the output was written, relative to the output prefix, when that differs from <see cref="Path"/> (the
    /// job's format, or a HEIC/AVIF input, changed the extension); null when it is <see cref="Path"/>.
    /// </summary>
    [Id(50)] public string? Output { get; init; }

    /// <summary>
    /// The input was copied to the output as it is (the job's copy-unswapped option: no face, or none selected);
    /// nothing in it was changed and it carries no AI mark.
    /// </summary>
    [Id(51)] public bool Untouched { get; init; }

    [Id(1)] public ImageStatus Status { get; init; }

    /// <summary>Class of failure (not_an_image, truncated_image, storage_error, ...), when failed.</summary>
    [Id(2)] public string? ErrorClass { get; init; }

    /// <summary>What went wrong, for people.</summary>
    [Id(3)] public string? Message { get; init; }

    /// <summary>Faces swapped (those lost after the swap included: see <see cref="FacesLost"/>).</summary>
    [Id(4)] public int Faces { get; init; }

    /// <summary>
    /// Mean identity similarity to the source after the swap, measured on the output, over the faces found again; the
    /// figures of each face are in <see cref="FaceOutcomes"/>.
    /// </summary>
    [Id(5)] public float? Similarity { get; init; }

    /// <summary>Processing time in milliseconds.</summary>
    [Id(6)] public double Milliseconds { get; init; }

    /// <summary>The silo that processed it.</summary>
    [Id(7)] public string? Silo { get; init; }

    /// <summary>Per-stage milliseconds.</summary>
    [Id(8)] public IReadOnlyDictionary<string, double>? Stages { get; init; }

    /// <summary>Faces found but left untouched by the job's face selection (0 when every face was swapped).</summary>
    [Id(9)] public int FacesSkipped { get; init; }

    /// <summary>
    /// Why faces were left untouched, reason to count: <c>not_reference</c> (further than the reference distance from
    /// every reference), <c>too_small</c> (under the minimum face size), <c>not_largest</c>; null when none were.
    /// </summary>
    [Id(10)] public IReadOnlyDictionary<string, int>? SkipReasons { get; init; }

    /// <summary>Reference mode: the smallest distance of a face that was not swapped as not_reference, to tune the distance by.</summary>
    [Id(11)] public float? NearestSkippedDistance { get; init; }

    /// <summary>Matrix jobs: the source put into the image (<see cref="Path"/> then starts with its folder); null otherwise.</summary>
    [Id(30)] public string? Identity { get; init; }

    /// <summary>Source sets: the photo of the set put into each swapped face, largest face first; null for a single source.</summary>
    [Id(31)] public IReadOnlyList<string>? SourcesUsed { get; init; }

    /// <summary>Whether the image's decoding and analysis came from the repeat-image cache (same content seen before).</summary>
    [Id(32)] public bool CacheHit { get; init; }

    /// <summary>
    /// Every swapped face, largest first: its box, similarity before and after, tint, shade, detail, source scale and
    /// whether it needs a look. A face lost after the swap is listed with a null similarity. Null when no face was swapped.
    /// </summary>
    [Id(40)] public IReadOnlyList<FaceOutcome>? FaceOutcomes { get; init; }

    /// <summary>Swapped faces that were not found again on the output: failed swaps (their similarity is null).</summary>
    [Id(41)] public int FacesLost { get; init; }

    /// <summary>Swapped faces that need a look (lost, outside a realism threshold, or from a much smaller source).</summary>
    [Id(42)] public int FacesToReview { get; init; }

    /// <summary>
    /// Whether the written output carries the AI-generated marks (XMP metadata, and the watermark unless the job turned
    /// it off): true when a face was replaced; false for an image written with no face replaced (reference mode, or
    /// every face too small), which is not marked as nothing in it was generated; null when no output was written.
    /// </summary>
    [Id(57)] public bool? Marked { get; init; }
}

/// <summary>Whether a source face can be used, and why not.</summary>
[GenerateSerializer, Immutable, Alias("FaceSwap.SourceCheck")]
public sealed record SourceCheck([property: Id(0)] bool Usable, [property: Id(1)] string? Error, [property: Id(2)] string? ErrorClass)
{
    /// <summary>SHA-256 (hex) of the source face's bytes, for the audit log; null when it could not be read.</summary>
    [Id(3)] public string? SourceSha256 { get; init; }

    /// <summary>
    /// For a job with <see cref="JobSpec.Sources"/> (a set or a matrix): SHA-256 (hex) of every source photo, by path
    /// (folders expanded); null for a job with one source face.
    /// </summary>
    [Id(4)] public IReadOnlyDictionary<string, string>? SourcePhotosSha256 { get; init; }
}

/// <summary>A thumbnail made on an inference silo: the JPEG, or the error class of an image that has none.</summary>
[GenerateSerializer, Immutable, Alias("FaceSwap.ThumbnailResult")]
public sealed record ThumbnailResult([property: Id(0)] byte[]? Jpeg, [property: Id(1)] string? ErrorClass, [property: Id(2)] string? Message);

/// <summary>A page of job ids, newest first.</summary>
[GenerateSerializer, Immutable, Alias("FaceSwap.JobIndexPage")]
public sealed record JobIndexPage([property: Id(0)] IReadOnlyList<string> JobIds, [property: Id(1)] string? Next);
