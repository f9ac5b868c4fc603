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
/// Starting a job: its sources are checked on an inference silo before anything is persisted, which for a matrix of many
/// source photos can outlast a grain call. The check runs beside the call: a caller gets the job's answer when the
/// check ends within half the call timeout, and otherwise the job as "pending" with a notice, while the check carries
/// on and the job then runs or fails by itself.
/// </summary>
public sealed partial class BatchGrain
{
    /// <summary>What a job's status says while its sources are checked.</summary>
    public const string CheckingNotice = "checking the source faces; the job starts when they pass";

    private static readonly TimeSpan LongestAnswer = TimeSpan.FromSeconds(20);

    /// <summary>The check and start in progress, if any; a second StartAsync meanwhile joins it.</summary>
    private Task? starting;

    /// <summary>The spec whose sources are being checked (not persisted yet).</summary>
    private JobSpec? checking;

    private DateTimeOffset checkingSince;

    /// <summary>A caller was answered "pending" for the check in progress: nobody is left to hear how it ends.</summary>
    private bool answeredPending;

    /// <inheritdoc />
    public async Task<JobStatus> StartAsync(JobSpec spec)
    {
        // The job policy holds for every caller, the REST API's checks or not (a cluster client on the gateway too).
        Validate(spec);
        JobPolicy.Of(options.Value).Enforce(spec);

        // Never onto the originals or into the state area, symbolic links resolved: whoever calls (run, a cluster client).
        OutputPlacement.Enforce(store, spec, options.Value.Safety.AuditPrefix);
        if (state.State.Spec is not null)
        {
            return Status();
        }

        var run = starting ??= StartInBackgroundAsync(spec);
        if (await Task.WhenAny(run, Task.Delay(AnswerWithin())) == run)
        {
            // Finished in time: the caller gets the outcome itself, a refusal or an error included.
            await run;
        }
        else
        {
            answeredPending = true;
        }

        return Status();
    }

    /// <summary>Half the silo's grain call timeout, at most <see cref="LongestAnswer"/>: the caller's call never times out.</summary>
    private TimeSpan AnswerWithin()
    {
        var timeout = ServiceProvider.GetService<IOptions<Orleans.Configuration.SiloMessagingOptions>>()?.Value.ResponseTimeout ?? LongestAnswer;
        return TimeSpan.FromTicks(Math.Min(LongestAnswer.Ticks, timeout.Ticks / 2));
    }

    /// <summary>
    /// A job whose start failed after its caller was answered: failed, with the reason and its code (the code a caller
    /// waiting for the start would have had from the API: unavailable for no inference silo or no audit log), so a
    /// poller sees why without reading the text.
    /// </summary>
    private async Task RecordStartFailureAsync(JobSpec spec, Exception failure)
    {
        if (state.State.Spec is not null)
        {
            return;
        }

        state.State.Spec = spec;
        state.State.Created = checkingSince;
        state.State.Error = $"the job could not start: {failure.Message}";
        state.State.ErrorCode = failure switch
        {
            IOException => JobErrorCodes.StorageError,
            InvalidOperationException or OrleansException or TimeoutException => ErrorCodes.Unavailable,
            _ => ErrorCodes.ServerError,
        };
        await GrainFactory.GetGrain<IJobIndexGrain>(0).AddAsync(JobId, checkingSince);
        await PersistEndAsync(JobState.Failed);
    }

    [LoggerMessage(14, LogLevel.Error, "Job {JobId}: its start failed after the caller was told it is pending")]
    private partial void LogStartFailed(Exception exception, string jobId);

    private async Task StartInBackgroundAsync(JobSpec spec)
    {
        checking = spec;
        checkingSince = DateTimeOffset.UtcNow;
        answeredPending = false;
        this.DelayDeactivation(TimeSpan.FromMinutes(15));
        try
        {
            await CheckAndStartAsync(spec);
        }
        catch (Exception e) when (answeredPending && e is not OutOfMemoryException)
        {
            // No caller waits for the answer any more: the job records why it could not start instead.
            LogStartFailed(e, JobId);
            await RecordStartFailureAsync(spec, e);
        }
        finally
        {
            checking = null;
            starting = null;
        }
    }

    /// <summary>Checks the job's sources on an inference silo, writes the audit line and persists the job, running or failed.</summary>
    private async Task CheckAndStartAsync(JobSpec spec)
    {
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
            await PersistEndAsync(JobState.Failed);
            return;
        }

        state.State.SpecHash = (await SpecHash.BuildAsync(store, spec)).Value;
        state.State.State = JobState.Running;
        state.State.Started = DateTimeOffset.UtcNow;
        await state.WriteStateAsync();
        await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        LogStarted(JobId, spec.Input, spec.Output);
        await WriteStatusBlobAsync(force: true);
        EnsurePump();
    }

}
