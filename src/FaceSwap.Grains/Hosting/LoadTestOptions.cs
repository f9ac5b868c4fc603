namespace FaceSwap.Grains.Hosting;

/// <summary>
/// Load-testing settings of a silo: a tool for measuring the coordination layer (`faceswap bench --engine null`),
/// never for jobs whose outputs matter.
/// </summary>
public sealed class LoadTestOptions
{
    /// <summary>The engine value that selects the null engine.</summary>
    public const string NullEngine = "null";

    /// <summary>
    /// Null for the real face engine; <see cref="NullEngine"/> for an engine that does no imaging: per image it does the
    /// output skip check, waits <see cref="EngineDelayMs"/>, writes a placeholder output with its metadata and
    /// returns an ok outcome with fixed figures.
    /// </summary>
    public string? Engine { get; set; }

    /// <summary>Null engine: milliseconds each image holds one of the silo's pipelines (0: none), to stand in for a model.</summary>
    public int EngineDelayMs { get; set; }

    /// <summary>Whether the null engine is selected.</summary>
    public bool UsesNullEngine => string.Equals(Engine, NullEngine, StringComparison.Ordinal);
}

/// <summary>
/// How a large job is split: once a job has listed <see cref="Threshold"/> images, the BatchGrain hands whole listing
/// pages of <see cref="PageSize"/> names to partition grains, at most <see cref="PagesInFlight"/> at once; each
/// partition dispatches its page to inference grains in batches and appends the outcomes.
/// </summary>
public sealed class PartitionOptions
{
    /// <summary>Images a job lists the classic way before it uses partitions; 0 turns partitions off.</summary>
    public int Threshold { get; set; } = 4096;

    /// <summary>Names per partition page (1 to 5000, a listing page of the store).</summary>
    public int PageSize { get; set; } = 2000;

    /// <summary>Pages a job keeps in flight on partition grains.</summary>
    public int PagesInFlight { get; set; } = 4;

    /// <summary>
    /// Images per inference call inside a partition; the job's own batch size when larger. Names travel, not bytes, so
    /// a large batch costs the engine nothing and saves grain calls.
    /// </summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>Inference batches a partition keeps in flight.</summary>
    public int BatchesInFlight { get; set; } = 4;
}
