namespace FaceSwap.Grains.Inference;

/// <summary>Metadata recorded with every output so that a resumed or repeated job can skip outputs that already match.</summary>
public static class OutputMetadata
{
    /// <summary>ETag of the input the output was made from.</summary>
    public const string InputETag = "faceswap_input_etag";

    /// <summary>Hash of the spec (source version and options) the output was made with.</summary>
    public const string SpecHash = "faceswap_spec";

    /// <summary>The job that wrote it.</summary>
    public const string JobId = "faceswap_job";

    /// <summary>The figures of the image's ok outcome (see <see cref="RecordedOutcome"/>), to count it again after a resume.</summary>
    public const string Outcome = "faceswap_outcome";

    /// <summary>Marks the output as AI-generated.</summary>
    public const string Generated = "faceswap_ai_generated";

    /// <summary>
    /// The code of an image skipped because a file that FaceSwap did not write is at its output path (no FaceSwap
    /// metadata, or metadata of other content); the job's <c>overwrite</c> option replaces such files instead.
    /// </summary>
    public const string NotOurs = "not_ours";

    /// <summary>
    /// Whether an existing output's metadata shows that FaceSwap wrote it (the local store reports none for a file
    /// replaced or edited since, as its metadata no longer matches the content).
    /// </summary>
    public static bool IsOurs(IReadOnlyDictionary<string, string> metadata) =>
        metadata.ContainsKey(JobId) || metadata.ContainsKey(InputETag);

    /// <summary>Whether stored metadata shows the output was made from this input version with this spec.</summary>
    public static bool Matches(IReadOnlyDictionary<string, string>? metadata, string inputETag, string specHash) =>
        metadata is not null
        && metadata.TryGetValue(InputETag, out var etag) && etag == inputETag
        && metadata.TryGetValue(SpecHash, out var spec) && spec == specHash;
}
