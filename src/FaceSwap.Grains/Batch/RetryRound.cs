using FaceSwap.Abstractions.Jobs;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// A job's retry-failed round: whether one may start, and opening it: the failed images listed for the round
/// (<see cref="RetryList"/>), the state turned back to running at the start of that list, with those images out of
/// the counters until the round lists them again.
/// </summary>
public static class RetryRound
{
    /// <summary>Throws when <paramref name="state"/>'s job cannot run a retry round now.</summary>
    /// <param name="state">The job's persisted state.</param>
    /// <param name="terminal">Whether the job has ended, as its status reads.</param>
    /// <param name="draining">Whether images that were in flight at a cancel are still finishing.</param>
    /// <exception cref="InvalidOperationException">The job does not exist, still runs, or failed before it started.</exception>
    public static void EnsureAllowed(BatchState state, bool terminal, bool draining)
    {
        _ = state.Spec ?? throw new InvalidOperationException("the job does not exist");
        if (!terminal)
        {
            throw new InvalidOperationException("the job is still running; cancel it or wait for it to finish first");
        }

        if (draining)
        {
            throw new InvalidOperationException("the job was cancelled and the images that were in flight are still finishing; wait until its inFlight is 0");
        }

        if (state.SpecHash is null)
        {
            throw new InvalidOperationException($"the job failed before it started ({state.Error}); submit a new job");
        }
    }

    /// <summary>
    /// Opens the next round of <paramref name="state"/>'s job if it has failed images: writes their list and sets the
    /// state (not persisted) running from it. The number of images the round runs again; 0 leaves the state as it was.
    /// </summary>
    public static async Task<long> OpenAsync(IBlobStore store, string jobId, BatchState state)
    {
        var spec = state.Spec!;
        var index = await OutcomeIndex.OpenAsync(store, JobFiles.Outcomes(spec, jobId));
        var failed = index.Count(ImageStatus.Failed);
        if (failed == 0)
        {
            return 0;
        }

        var round = state.Round + 1;
        var list = JobFiles.RetryList(spec, jobId, round);
        await RetryList.WriteAsync(store, list, index);

        // The failed images leave the counters and come back as the round lists them again.
        var counters = state.Counters;
        state.Counters = counters with { Failed = counters.Failed - failed, Discovered = counters.Discovered - failed };
        state.Round = round;
        state.RetryList = list;
        state.ResumeToken = null;
        state.ListingComplete = false;
        state.State = JobState.Running;
        state.Finished = null;
        state.Started = DateTimeOffset.UtcNow;
        return failed;
    }
}
