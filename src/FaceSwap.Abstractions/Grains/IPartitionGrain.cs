using FaceSwap.Abstractions.Jobs;

namespace FaceSwap.Abstractions.Grains;

/// <summary>
/// Runs one listing page of a large job (key: job, round and page): dispatches its names to inference grains in
/// batches, appends their outcomes to the job's manifest, and reports the page's counters in one answer, so the
/// BatchGrain handles pages instead of images.
/// </summary>
[Alias("FaceSwap.IPartitionGrain")]
public interface IPartitionGrain : IGrainWithStringKey
{
    /// <summary>Runs the page; a repeated call while it runs joins the run under way.</summary>
    [Alias("RunPage")]
    [ResponseTimeout("02:00:00")]
    Task<PageResult> RunPageAsync(PartitionPage page);

    /// <summary>Stops dispatching the page's remaining batches (the job was cancelled); batches in flight finish.</summary>
    [Alias("Cancel")]
    Task CancelAsync();
}

/// <summary>One listing page of a job handed to a partition grain. Names travel, never image bytes.</summary>
[GenerateSerializer, Immutable, Alias("FaceSwap.PartitionPage")]
public sealed record PartitionPage
{
    /// <summary>The job.</summary>
    [Id(0)] public required string JobId { get; init; }

    /// <summary>The job's spec.</summary>
    [Id(1)] public required JobSpec Spec { get; init; }

    /// <summary>The job's spec hash (recorded with each output).</summary>
    [Id(2)] public required string SpecHash { get; init; }

    /// <summary>The page's images.</summary>
    [Id(3)] public required IReadOnlyList<WorkItem> Items { get; init; }

    /// <summary>Images per inference call.</summary>
    [Id(4)] public int BatchSize { get; init; } = 64;

    /// <summary>Inference calls in flight at once.</summary>
    [Id(5)] public int BatchesInFlight { get; init; } = 4;
}

/// <summary>What a page came to.</summary>
[GenerateSerializer, Immutable, Alias("FaceSwap.PageResult")]
public sealed record PageResult
{
    /// <summary>Outcome counters of the page's images (Discovered is left to the caller, who listed them).</summary>
    [Id(0)] public JobCounters Counters { get; init; } = new();

    /// <summary>Whether the page stopped early because the job was cancelled (then not every image has an outcome).</summary>
    [Id(1)] public bool Cancelled { get; init; }

    /// <summary>Inference grain calls the page took, retries included.</summary>
    [Id(2)] public int InferenceCalls { get; init; }
}
