using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Safety;
using FaceSwap.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// Starting a job: its sources are checked on an inference silo before anything is persisted. The check runs beside
/// the call (<see cref="PendingSourceCheck"/>): a caller gets the job's answer when the check ends within half the call
/// timeout, and otherwise the job as "pending" with a notice, while the check carries on and the job then runs or fails
/// by itself.
/// </summary>
public sealed partial class BatchGrain
{
    /// <summary>What a job's status says while its sources are checked.</summary>
    public const string CheckingNotice = PendingSourceCheck.Notice;

    /// <summary>The check and start in progress, if any: a second StartAsync meanwhile joins it.</summary>
    private readonly PendingSourceCheck pendingCheck = new();

    /// <inheritdoc />
    public async Task<JobStatus> StartAsync(JobSpec spec)
    {
        // The job policy holds for every caller, the REST API's checks or not (a cluster client on the gateway too).
        JobRequestValidation.EnsureValid(spec);
        JobPolicy.Of(options.Value).Enforce(spec);

        // Never onto the originals or into the state area, symbolic links resolved: whoever calls (run, a cluster client).
        OutputPlacement.Enforce(store, spec, options.Value.Safety.AuditPrefix);
        if (state.State.Spec is not null)
        {
            return Status();
        }

        await pendingCheck.RunAsync(spec, PendingSourceCheck.AnswerWithin(ServiceProvider), CheckAndStartAsync, RecordStartFailureAsync);
        return Status();
    }

    /// <summary>
    /// A job whose start failed after its caller was answered: failed, with the reason and its code
    /// (<see cref="PendingSourceCheck.FailureCode"/>), so a poller sees why without reading the text.
    /// </summary>
    private async Task RecordStartFailureAsync(JobSpec spec, Exception failure)
    {
        logger.LogStartFailed(failure, JobId);
        if (state.State.Spec is not null)
        {
            return;
        }

        state.State.Spec = spec;
        state.State.Created = pendingCheck.Since;
        state.State.Error = $"the job could not start: {failure.Message}";
        state.State.ErrorCode = PendingSourceCheck.FailureCode(failure);
        await GrainFactory.GetGrain<IJobIndexGrain>(0).AddAsync(JobId, pendingCheck.Since);
        await Progress.PersistEndAsync(JobState.Failed);
    }

    /// <summary>Checks the job's sources on an inference silo, writes the audit line and persists the job, running or failed.</summary>
    private async Task CheckAndStartAsync(JobSpec spec)
    {
        this.DelayDeactivation(TimeSpan.FromMinutes(15));
        SourceCheck check;
        try
        {
            check = await Dispatcher.Next().CheckSourceAsync(spec);
        }
        catch (Exception e) when (e is OrleansException or ArgumentException or TimeoutException)
        {
            // Nothing was persisted: a later StartAsync tries again from scratch.
            throw new InvalidOperationException($"no inference silo is available to check the source face: {e.Message}", e);
        }

        if (state.State.Spec is not null)
        {
            return;
        }

        // The audit line is written before anything is persisted: a job that cannot be audited does not start.
        try
        {
            await Audit.SubmittedAsync(JobId, spec, check);
        }
        catch (Exception e) when (e is IOException or InvalidBlobPathException)
        {
            throw new InvalidOperationException($"the audit log cannot be written: {e.Message}", e);
        }

        var created = DateTimeOffset.UtcNow;
        await GrainFactory.GetGrain<IJobIndexGrain>(0).AddAsync(JobId, created);
        state.State.Spec = spec;
        state.State.Created = created;
        state.State.State = JobState.Pending;
        if (!check.Usable)
        {
            (state.State.Error, state.State.ErrorCode, state.State.ErrorField) = (check.Error, check.ErrorClass, check.Field);
            await Progress.PersistEndAsync(JobState.Failed);
            return;
        }

        state.State.SpecHash = (await SpecHash.BuildAsync(store, spec)).Value;
        state.State.State = JobState.Running;
        state.State.Started = DateTimeOffset.UtcNow;
        await state.WriteStateAsync();
        await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        logger.LogStarted(JobId, spec.Input, spec.Output);
        await Progress.WriteStatusBlobAsync(force: true);
        EnsurePump();
    }
}
