using FaceSwap.Abstractions.Jobs;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// A job's status as callers read it, built from its persisted state and what its activation holds in memory: the
/// pages in the ledger, the images in flight, a cancel still draining, a pending source check and the current notice.
/// </summary>
public static class JobStatusView
{
    /// <summary>The status as the job's state and activation have it now.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="state">Its persisted state.</param>
    /// <param name="ledger">Its pages in memory.</param>
    /// <param name="inFlight">How many images are in flight.</param>
    /// <param name="draining">Whether a cancel left images in flight that are still finishing.</param>
    /// <param name="notice">What the running job's status says (waiting for an inference silo), if anything.</param>
    /// <param name="pending">The source check of a job not started yet.</param>
    public static JobStatus Snapshot(string jobId, BatchState state, PageLedger ledger, int inFlight, bool draining, string? notice, PendingSourceCheck pending)
    {
        var checking = pending.Checking;
        return new JobStatus
        {
            JobId = jobId,
            State = state.State,
            Counters = ledger.Current(state.Counters),

            // A cancelled job reads inFlight 1 or more until the images in flight at the cancel are recorded.
            InFlight = draining ? Math.Max(1, inFlight) : inFlight,
            ListingComplete = state.ListingComplete || ledger.LastPageListed,
            Created = state.Spec is null && checking is not null ? pending.Since : state.Created,
            Finished = state.Finished,
            Error = state.Error, ErrorCode = state.ErrorCode, ErrorField = state.ErrorField,
            Spec = state.Spec ?? checking,
            Notice = state.Spec is null && checking is not null ? PendingSourceCheck.Notice
                : state.State == JobState.Running ? notice
                : draining ? $"cancelled: {inFlight} images that were in flight are finishing; the counts and summary are final when inFlight is 0"
                : null,
        };
    }

    /// <summary>
    /// The status as callers see it: a job turns terminal for them only once its summary and status blob are written
    /// (<paramref name="publishing"/> until then), so whoever sees "completed" finds them.
    /// </summary>
    public static JobStatus Published(JobStatus snapshot, bool publishing) =>
        publishing ? snapshot with { State = JobState.Running, Finished = null } : snapshot;
}
