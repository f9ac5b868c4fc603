namespace FaceSwap.Abstractions.Jobs;

/// <summary>
/// Codes of the job policy every job must meet (the code of the grain's <c>JobRefusedException</c>, and the <c>codes</c> of a 400
/// answer to <c>POST /api/jobs</c>). Callers act on the code, never on the message text.
/// </summary>
public static class JobRefusalCodes
{
    /// <summary>The spec names no submitter.</summary>
    public const string SubmitterRequired = "submitter_required";

    /// <summary>The spec has no consent reference for the source face, and the host requires one.</summary>
    public const string ConsentRequired = "consent_required";

    /// <summary>The spec turns the invisible watermark off, and the host does not allow that.</summary>
    public const string WatermarkRequired = "watermark_required";

    /// <summary>The spec's <c>options.maxPixels</c> is above the host's limit (or below 1).</summary>
    public const string MaxPixelsOutOfRange = "max_pixels_out_of_range";

    /// <summary>
    /// The spec's output folder overlaps its input: the same folder, a folder inside it, a folder holding it, or a
    /// symbolic link to one of those (links resolved). Outputs would land on the originals.
    /// </summary>
    public const string OutputOverlapsInput = "output_overlaps_input";

    /// <summary>The spec's output lies in the host's state area (the container of the audit log and job state).</summary>
    public const string OutputInStateArea = "output_in_state_area";

    /// <summary>The spec's <c>options.preview</c> is not 1 to <see cref="JobOptions.MaxPreview"/> images.</summary>
    public const string PreviewOutOfRange = "preview_out_of_range";
}
