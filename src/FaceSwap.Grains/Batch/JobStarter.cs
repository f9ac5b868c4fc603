using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Safety;
using FaceSwap.Storage;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// A job's start once its spec passed the grain's checks: its sources are checked on an inference silo, the audit line
/// is written before anything is persisted, and the job is persisted failed (sources unusable) or running. A start that
/// fails after its caller was answered "pending" (<see cref="PendingSourceCheck"/>) is recorded as failed with its
/// code. One per job activation; used on the grain's single thread.
/// </summary>
/// <param name="state">The job's persisted state.</param>
/// <param name="jobId">The job.</param>
/// <param name="store">Where the sources are (for the spec's hash).</param>
/// <param name="progress">Persists the end of a job that fails to start.</param>
/// <param name="pending">The check in progress (when it began).</param>
/// <param name="inference">An inference grain to check the sources on (<see cref="Inference.InferenceDispatcher.Next"/>).</param>
/// <param name="audit">The audit log.</param>
/// <param name="index">The job index.</param>
/// <param name="logger">The job's logger.</param>
public sealed class JobStarter(
    IPersistentState<BatchState> state,
    string jobId,
    IBlobStore store,
    JobProgress progress,
    PendingSourceCheck pending,
    Func<IInferenceGrain> inference,
    Func<AuditLog> audit,
    Func<IJobIndexGrain> index,
    ILogger logger)
{
    /// <summary>
    /// Checks <paramref name="spec"/>'s sources, writes the audit line and persists the job: true when it now runs (the
    /// caller starts its reminder and pump), false when it failed on its sources or another start got there first.
    /// </summary>
    /// <exception cref="InvalidOperationException">No inference silo could check the sources, or the audit log cannot be written: nothing was persisted.</exception>
    public async Task<bool> CheckAndStartAsync(JobSpec spec)
    {
        SourceCheck check;
        try
        {
            check = await inference().CheckSourceAsync(spec);
        }
        catch (Exception e) when (e is OrleansException or ArgumentException or TimeoutException)
        {
            // Nothing was persisted: a later StartAsync tries again from scratch.
            throw new InvalidOperationException($"no inference silo is available to check the source face: {e.Message}", e);
        }

        if (state.State.Spec is not null)
        {
            return false;
        }

        // The audit line is written before anything is persisted: a job that cannot be audited does not start.
        try
        {
            await audit().SubmittedAsync(jobId, spec, check);
        }
        catch (Exception e) when (e is IOException or InvalidBlobPathException)
        {
            throw new InvalidOperationException($"the audit log cannot be written: {e.Message}", e);
        }

        var created = DateTimeOffset.UtcNow;
        await index().AddAsync(jobId, created);
        state.State.Spec = spec;
        state.State.Created = created;
        state.State.State = JobState.Pending;
        if (!check.Usable)
        {
            (state.State.Error, state.State.ErrorCode, state.State.ErrorField) = (check.Error, check.ErrorClass, check.Field);
            await progress.PersistEndAsync(JobState.Failed);
            return false;
        }

        state.State.SpecHash = (await SpecHash.BuildAsync(store, spec)).Value;
        state.State.State = JobState.Running;
        state.State.Started = DateTimeOffset.UtcNow;
        await state.WriteStateAsync();
        return true;
    }

    /// <summary>
    /// A job whose start failed after its caller was answered: failed, with the reason and its code
    /// (<see cref="PendingSourceCheck.FailureCode"/>), so a poller sees why without reading the text.
    /// </summary>
    public async Task RecordFailureAsync(JobSpec spec, Exception failure)
    {
        logger.LogStartFailed(failure, jobId);
        if (state.State.Spec is not null)
        {
            return;
        }

        state.State.Spec = spec;
        state.State.Created = pending.Since;
        state.State.Error = $"the job could not start: {failure.Message}";
        state.State.ErrorCode = PendingSourceCheck.FailureCode(failure);
        await index().AddAsync(jobId, pending.Since);
        await progress.PersistEndAsync(JobState.Failed);
    }
}
