namespace FaceSwap.Abstractions.Jobs;

/// <summary>Which target faces a job swaps.</summary>
public enum FaceMode
{
    /// <summary>Every detected face.</summary>
    All,
    /// <summary>Only the largest face of each image.</summary>
    Largest,
}

/// <summary>Options of a job that change its outputs or how fast it runs.</summary>
[GenerateSerializer, Immutable, Alias("FaceSwap.JobOptions")]
public sealed record JobOptions
{
    /// <summary>Which faces to swap.</summary>
    [Id(0)] public FaceMode Faces { get; init; } = FaceMode.All;

    /// <summary>Images per inference call.</summary>
    [Id(1)] public int BatchSize { get; init; } = 4;

    /// <summary>Images listed ahead and in flight at most (the bounded window of the job).</summary>
    [Id(2)] public int Prefetch { get; init; } = 16;

    /// <summary>JPEG/WebP quality of outputs.</summary>
    [Id(3)] public int Quality { get; init; } = 92;

    /// <summary>Images with more pixels are refused.</summary>
    [Id(4)] public long MaxPixels { get; init; } = 64L * 1000 * 1000;

    /// <summary>Largest input file accepted, in bytes.</summary>
    [Id(5)] public long MaxFileBytes { get; init; } = 200L * 1024 * 1024;

    /// <summary>Embed the invisible watermark carrying the job id in every output (on unless turned off).</summary>
    [Id(6)] public bool Watermark { get; init; } = true;
}

/// <summary>
/// What a job does: the source face, the input prefix whose images are swapped and the output prefix that mirrors it.
/// Paths are blob-store paths, "container/some/prefix/".
/// </summary>
[GenerateSerializer, Immutable, Alias("FaceSwap.JobSpec")]
public sealed record JobSpec
{
    /// <summary>Path of the image holding the source face.</summary>
    [Id(0)] public required string Source { get; init; }

    /// <summary>Input prefix (a folder), listed recursively.</summary>
    [Id(1)] public required string Input { get; init; }

    /// <summary>Output prefix; each output keeps its input's relative path.</summary>
    [Id(2)] public required string Output { get; init; }

    /// <summary>Options.</summary>
    [Id(3)] public JobOptions Options { get; init; } = new();

    /// <summary>Who submitted the job (API key name, user, "cli").</summary>
    [Id(4)] public string? SubmittedBy { get; init; }

    /// <summary>A reference to the consent on record for the source face.</summary>
    [Id(5)] public string? ConsentReference { get; init; }

    /// <summary>Where the job mirrors its status as JSON (a blob-drop job's <c>_faceswap/status.json</c>); null for none.</summary>
    [Id(6)] public string? StatusPath { get; init; }
}
