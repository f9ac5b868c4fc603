namespace FaceSwap.Abstractions.Jobs;

/// <summary>A page of job ids, newest first.</summary>
[GenerateSerializer, Immutable, Alias("FaceSwap.JobIndexPage")]
public sealed record JobIndexPage([property: Id(0)] IReadOnlyList<string> JobIds, [property: Id(1)] string? Next);
