namespace FaceSwap.Abstractions.Jobs;

/// <summary>Where a job is in its life.</summary>
public enum JobState
{
    /// <summary>Created, not yet running.</summary>
    Pending,
    /// <summary>Listing and processing images.</summary>
    Running,
    /// <summary>Every image has an outcome (some may have failed).</summary>
    Completed,
    /// <summary>The job could not run (bad source face, unreadable input prefix).</summary>
    Failed,
    /// <summary>Stopped by a user.</summary>
    Cancelled,
}

/// <summary>Counts of a job's images by outcome.</summary>
public sealed record JobCounters
{
    /// <summary>Images found so far.</summary>
    public long Discovered { get; init; }

    /// <summary>Swapped and written.</summary>
    public long Ok { get; init; }

    /// <summary>No face found; not written.</summary>
    public long NoFace { get; init; }

    /// <summary>Failed (decode, too large, model, storage).</summary>
    public long Failed { get; init; }

    /// <summary>Output already matched input and spec; not processed again.</summary>
    public long Skipped { get; init; }

    /// <summary>Faces swapped.</summary>
    public long Faces { get; init; }

    /// <summary>Images whose decoding and analysis came from the repeat-image cache (same content seen before on that silo).</summary>
    public long CacheHits { get; init; }

    /// <summary>Swapped faces not found again on the output: failed swaps (part of <see cref="Faces"/>).</summary>
    public long FacesLost { get; init; }

    /// <summary>Swapped faces that need a look: the job's summary.json lists them (part of <see cref="Faces"/>).</summary>
    public long FacesToReview { get; init; }

    /// <summary>Images with an outcome.</summary>
    public long Finished => Ok + NoFace + Failed + Skipped;

    /// <summary>The sum of two sets of counters.</summary>
    public JobCounters Plus(JobCounters other) => new()
    {
        Discovered = Discovered + other.Discovered,
        Ok = Ok + other.Ok,
        NoFace = NoFace + other.NoFace,
        Failed = Failed + other.Failed,
        Skipped = Skipped + other.Skipped,
        Faces = Faces + other.Faces,
        CacheHits = CacheHits + other.CacheHits,
        FacesLost = FacesLost + other.FacesLost,
        FacesToReview = FacesToReview + other.FacesToReview,
    };

    /// <summary>Adds one outcome.</summary>
    public JobCounters Add(ImageOutcome outcome) => outcome.Status switch
    {
        ImageStatus.Ok => this with
        {
            Ok = Ok + 1,
            Faces = Faces + outcome.Faces,
            FacesLost = FacesLost + outcome.FacesLost,
            FacesToReview = FacesToReview + outcome.FacesToReview,
            CacheHits = CacheHits + (outcome.CacheHit ? 1 : 0),
        },
        ImageStatus.NoFace => this with { NoFace = NoFace + 1, CacheHits = CacheHits + (outcome.CacheHit ? 1 : 0) },
        ImageStatus.Skipped => this with { Skipped = Skipped + 1 },
        _ => this with { Failed = Failed + 1 },
    };
}

/// <summary>A job as its owner sees it.</summary>
public sealed record JobStatus
{
    /// <summary>The job id.</summary>
    public required string JobId { get; init; }

    /// <summary>State.</summary>
    public JobState State { get; init; }

    /// <summary>Counts.</summary>
    public JobCounters Counters { get; init; } = new();

    /// <summary>Images being processed now.</summary>
    public int InFlight { get; init; }

    /// <summary>Whether the whole input has been listed.</summary>
    public bool ListingComplete { get; init; }

    /// <summary>When the job was created.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>When it finished, if it has.</summary>
    public DateTimeOffset? Finished { get; init; }

    /// <summary>Why the job failed, if it did: for people (match on <see cref="ErrorCode"/>, never on this text).</summary>
    public string? Error { get; init; }

    /// <summary>
    /// The stable code of <see cref="Error"/>, to branch on: the class of failure of the source check that refused the
    /// job (<see cref="JobErrorCodes"/>: e.g. <c>no_face</c>, <c>poor_source</c>, <c>model_missing</c>,
    /// <c>storage_error</c>), or for a job whose start failed after it was answered <c>pending</c> the code a waiting
    /// caller would have had (<c>unavailable</c>, <c>storage_error</c>, <c>server_error</c>); null when the job did not fail.
    /// </summary>
    public string? ErrorCode { get; init; }

    /// <summary>
    /// The request field the failure is about (<c>source</c>, <c>options.references</c>, <c>options.swapper</c>,
    /// <c>options.enhancer</c>, <c>options.detector</c>, <c>options.landmarker</c>, <c>options</c>); null when none is.
    /// </summary>
    public string? ErrorField { get; init; }

    /// <summary>The spec (null before the job was started).</summary>
    public JobSpec? Spec { get; init; }

    /// <summary>Why a running job is not making progress right now (e.g. it is waiting for an inference silo).</summary>
    public string? Notice { get; init; }

    /// <summary>Whether the job will not change any more.</summary>
    public bool IsTerminal => State is JobState.Completed or JobState.Failed or JobState.Cancelled;
}
