namespace FaceSwap.Abstractions.Jobs;

/// <summary>
/// Codes of a job that failed before it ran (<see cref="JobStatus.ErrorCode"/>, and the <c>code</c> of the 422 answer
/// to <c>POST /api/jobs</c>), with the fields they name (<see cref="JobStatus.ErrorField"/>). A blob drop refused before
/// it became a job writes its status with one of these, a job-policy code (<see cref="JobRefusalCodes"/>) or
/// <c>invalid_request</c>. The list is open: the failure classes of per-image outcomes (<see cref="ImageOutcome.ErrorClass"/>) are codes of the same family.
/// </summary>
public static class JobErrorCodes
{
    /// <summary>No face was found in the source (or a reference) image.</summary>
    public const string NoFace = "no_face";

    /// <summary>The source face is unusable: turned to profile, occluded or unclear, or laughing.</summary>
    public const string PoorSource = "poor_source";

    /// <summary>The source (or a reference) could not be read: missing, too large, or a storage failure.</summary>
    public const string StorageError = "storage_error";

    /// <summary>A public model the options select is not installed.</summary>
    public const string ModelMissing = "model_missing";

    /// <summary>A public model the options select does not match its recorded hash.</summary>
    public const string ModelCorrupt = "model_corrupt";

    /// <summary>The host's execution provider (e.g. CUDA) is not available to run the selected public models.</summary>
    public const string ExecutionProviderUnavailable = "execution_provider_unavailable";

    /// <summary>The model options do not go together (e.g. an unknown model name).</summary>
    public const string InvalidOptions = "invalid_options";

    /// <summary>A blob drop's manifest (<c>faceswap.json</c>) is not a job request.</summary>
    public const string InvalidManifest = "invalid_manifest";

    /// <summary>A blob drop's manifest is larger than the handler reads.</summary>
    public const string ManifestTooLarge = "manifest_too_large";
}

/// <summary>The request fields a job's failure names (<see cref="JobStatus.ErrorField"/>).</summary>
public static class JobErrorFields
{
    /// <summary>The source face (or one of the sources).</summary>
    public const string Source = "source";

    /// <summary>One of <c>options.references</c>.</summary>
    public const string References = "options.references";

    /// <summary>The model options as a whole.</summary>
    public const string Options = "options";

    /// <summary>The field of one model option: <c>options.swapper</c>, <c>options.enhancer</c>, ...</summary>
    public static string Option(string name) => Options + "." + name;
}
