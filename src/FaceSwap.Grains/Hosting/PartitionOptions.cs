namespace FaceSwap.Grains.Hosting;

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

    /// <summary>Pages a job keeps in flight on partition grains; at least two per active silo whatever this says.</summary>
    public int PagesInFlight { get; set; } = 4;

    /// <summary>
    /// Images per inference call inside a partition; the job's own batch size when larger. Names travel, not bytes, so
    /// a large batch costs the engine nothing and saves grain calls.
    /// </summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>Inference batches a partition keeps in flight.</summary>
    public int BatchesInFlight { get; set; } = 4;
}
