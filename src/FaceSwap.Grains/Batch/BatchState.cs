using FaceSwap.Abstractions.Jobs;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// The persisted state of a job. Its size does not grow with the job: no per-image list, only counters and the
/// listing cursor of the oldest page that still has images in flight.
/// </summary>
[GenerateSerializer, Alias("FaceSwap.BatchState")]
public sealed class BatchState
{
    /// <summary>The spec, once started.</summary>
    [Id(0)] public JobSpec? Spec { get; set; }

    /// <summary>Hash of the source version and options; recorded with every output.</summary>
    [Id(1)] public string? SpecHash { get; set; }

    /// <summary>State.</summary>
    [Id(2)] public JobState State { get; set; }

    /// <summary>Counters of every page before <see cref="ResumeToken"/> (all of whose images have outcomes).</summary>
    [Id(3)] public JobCounters Counters { get; set; } = new();

    /// <summary>Listing cursor where the oldest unfinished page starts (null: the beginning).</summary>
    [Id(4)] public string? ResumeToken { get; set; }

    /// <summary>Whether every page has been listed and finished.</summary>
    [Id(5)] public bool ListingComplete { get; set; }

    /// <summary>Creation time.</summary>
    [Id(6)] public DateTimeOffset Created { get; set; }

    /// <summary>Finish time.</summary>
    [Id(7)] public DateTimeOffset? Finished { get; set; }

    /// <summary>Why the job failed.</summary>
    [Id(8)] public string? Error { get; set; }

    /// <summary>Start time of the current run (for rates).</summary>
    [Id(9)] public DateTimeOffset? Started { get; set; }

    /// <summary>How many retry-failed rounds the job has had.</summary>
    [Id(10)] public int Round { get; set; }

    /// <summary>
    /// In a retry round, the blob listing the paths to run again (one relative path per line); the listing cursor is
    /// then a line number in it. Null in the first round, whose listing is the input prefix.
    /// </summary>
    [Id(11)] public string? RetryList { get; set; }

    /// <summary>The code of <see cref="Error"/> (<see cref="JobStatus.ErrorCode"/>).</summary>
    [Id(12)] public string? ErrorCode { get; set; }

    /// <summary>The request field <see cref="Error"/> is about (<see cref="JobStatus.ErrorField"/>).</summary>
    [Id(13)] public string? ErrorField { get; set; }

    /// <summary>A preview job's result once it is known: what it chose from, and its contact sheet; null otherwise.</summary>
    [Id(14)] public PreviewResult? Preview { get; set; }
}

/// <summary>What a preview job (<see cref="JobOptions.Preview"/>) recorded at its end, for its summary.</summary>
[GenerateSerializer, Immutable, Alias("FaceSwap.PreviewResult")]
public sealed record PreviewResult
{
    /// <summary>The input images the preview chose from; null when this activation did not list them.</summary>
    [Id(0)] public long? InputImages { get; init; }

    /// <summary>The contact sheet's path; null when it could not be drawn (see <see cref="Error"/>).</summary>
    [Id(1)] public string? ContactSheet { get; init; }

    /// <summary>The faces the contact sheet shows.</summary>
    [Id(2)] public int Faces { get; init; }

    /// <summary>Why the contact sheet could not be drawn.</summary>
    [Id(3)] public string? Error { get; init; }
}
