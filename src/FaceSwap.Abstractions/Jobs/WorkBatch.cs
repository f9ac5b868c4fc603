namespace FaceSwap.Abstractions.Jobs;

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
