namespace FaceSwap.Abstractions.Jobs;

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

    /// <summary>The request field a refusal is about (<see cref="JobErrorFields"/>): the source unless said otherwise.</summary>
    [Id(5)] public string Field { get; init; } = JobErrorFields.Source;
}
