using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Diagnostics;
using FaceSwap.Grains.Hosting;
using FaceSwap.Grains.Inference;
using FaceSwap.Grains.Placement;
using FaceSwap.Grains.Safety;
using FaceSwap.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Configuration;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// Owns one job and orchestrates it (lifecycle, calls, reminder); its parts do the work: <see cref="JobStarter"/> checks
/// and persists a new job, the pumps list the input lazily and keep a bounded window of images (<see cref="ItemPump"/>)
/// or, for a large job, pages (<see cref="PartitionPump"/>) in flight, <see cref="JobProgress"/> persists progress in
/// batches and publishes the end, <see cref="CancelDrain"/> settles a cancel. Reentrant so that status calls interleave
/// with the pumps; all state changes happen on the grain's single thread. A reminder wakes the job after a silo loss.
/// </summary>
[Reentrant]
[ApiSiloPlacement]
public sealed class BatchGrain(
    [PersistentState("job", BatchGrain.StorageName)] IPersistentState<BatchState> state,
    IBlobStore store,
    IOptions<FaceSwapSiloOptions> options,
    IOptions<SiloMessagingOptions> messaging,
    AuditLog audit,
    ISiloStatusOracle silos,
    ILogger<BatchGrain> logger) : Grain, IBatchGrain, IRemindable
{
    /// <summary>Name of the grain storage provider for job state.</summary>
    public const string StorageName = "jobs";

    /// <summary>What a job's status says while its sources are checked.</summary>
    public const string CheckingNotice = PendingSourceCheck.Notice;

    /// <summary>What a running preview's status says while its contact sheet is drawn.</summary>
    public const string DrawingNotice = JobNotice.Drawing;

    /// <summary>The message of a preview size out of range (code <see cref="JobRefusalCodes.PreviewOutOfRange"/>).</summary>
    public static readonly string PreviewRange = JobRequestValidation.PreviewRange;

    private const string ReminderName = "resume";

    private readonly PageLedger ledger = new();
    private readonly JobActivity activity = new();
    private readonly JobNotice notice = new();

    /// <summary>The check and start in progress, if any: a second StartAsync meanwhile joins it.</summary>
    private readonly PendingSourceCheck pendingCheck = new();
    private Task? pump;
    private ItemPump? items;
    private PartitionPump? pages;
    private IWorkSource? work;
    private CancelDrain? drain;
    private JobProgress? progress;
    private InferenceDispatcher? dispatcher;
    private JobStarter? starter;

    private string JobId => this.GetPrimaryKeyString();

    /// <summary>The current round's work: the input prefix, or in a retry round its list of failed images.</summary>
    private IWorkSource Work => work ??= WorkSources.For(store, state.State.Spec!, state.State.RetryList);

    /// <summary>A cancel's images still in flight: they finish, and the summary and audit log get their outcomes too.</summary>
    private CancelDrain Drain => drain ??= new(SettleAsync);

    /// <summary>Folding, persisting and publishing the job's progress.</summary>
    private JobProgress Progress => progress ??= new(state, ledger, store, JobId, Snapshot, () => GrainFactory.GetGrain<IJobIndexGrain>(0), logger);

    private JobStarter Starter => starter ??=
        new(state, JobId, store, Progress, pendingCheck, Dispatcher.Next, () => audit, () => GrainFactory.GetGrain<IJobIndexGrain>(0), logger);

    /// <summary>
    /// Inference calls of this activation: a job that no inference silo can serve waits while it runs (its status says
    /// why, <see cref="JobNotice"/>), and a batch that keeps failing fails its images.
    /// </summary>
    private InferenceDispatcher Dispatcher => dispatcher ??= new InferenceDispatcher(GrainFactory, new DispatchRules
    {
        KeepWaiting = () => state.State.State == JobState.Running && !activity.Deactivated,
        OnWaiting = e =>
        {
            if (notice.Waiting(e))
            {
                logger.LogWaiting(JobId);
            }
        },
        OnRetry = (attempt, e) => logger.LogRetry(JobId, attempt, e.Message),
    });

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.State == JobState.Running)
        {
            logger.LogResuming(JobId, state.State.Counters.Finished);
            EnsurePump();

            // A job from before the index recorded unfinished jobs records itself, so the next start wakes it too.
            _ = Progress.MarkInIndexAsync(unfinished: true);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Loops of this activation stop; a new activation resumes from the persisted cursor (outputs already written
        // are skipped), so nothing is lost or written twice.
        activity.Deactivate();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Starts the job: its sources are checked on an inference silo before anything is persisted (<see cref="JobStarter"/>).
    /// The check runs beside the call (<see cref="PendingSourceCheck"/>): a caller gets the job's answer when the check
    /// ends within half the call timeout, and otherwise the job as "pending" with a notice, while the check carries on
    /// and the job then runs or fails by itself.
    /// </summary>
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

        await pendingCheck.RunAsync(spec, PendingSourceCheck.AnswerWithin(messaging.Value.ResponseTimeout), CheckAndStartAsync, Starter.RecordFailureAsync);
        return Status();
    }

    private async Task CheckAndStartAsync(JobSpec spec)
    {
        this.DelayDeactivation(TimeSpan.FromMinutes(15));
        if (await Starter.CheckAndStartAsync(spec))
        {
            await RegisterReminderAsync();
            logger.LogStarted(JobId, spec.Input, spec.Output);
            await Progress.WriteStatusBlobAsync(force: true);
            EnsurePump();
        }
    }

    /// <inheritdoc />
    public Task<JobStatus> GetStatusAsync() => Task.FromResult(Status());

    /// <inheritdoc />
    public Task<bool> IsCurrentRunAsync(Guid run) => Task.FromResult(run == activity.Run && !activity.Deactivated);

    /// <inheritdoc />
    public async Task<JobStatus> CancelAsync()
    {
        if (!Snapshot().IsTerminal)
        {
            // Nothing new is dispatched; images already in flight on inference silos still finish (their outputs are
            // written), so they are recorded too: the job stays "cancelled" with inFlight above 0 until the last of
            // them is in the outcomes, the counters, the summary and the audit log.
            await Drain.CancelAsync(activity.InFlight, () => ledger.FoldAll(state.State), RecordCancelAsync);
            await SettleIfDrainedAsync();
        }

        return Status();
    }

    private async Task RecordCancelAsync()
    {
        await Progress.PersistEndAsync(JobState.Cancelled);
        await audit.FinishedAsync(JobId, state.State.Spec!, JobState.Cancelled, Status().Counters, activity.InFlight);
        activity.Wake();
    }

    /// <summary>After a cancel, once the last image that was in flight has its outcome: the final counters, summary and audit line.</summary>
    private Task SettleIfDrainedAsync() => Drain.SettleIfDrainedAsync(activity.InFlight);

    private async Task SettleAsync()
    {
        try
        {
            await Progress.FoldAllAsync();
            await audit.CancelFinishedAsync(JobId, state.State.Spec!, state.State.Counters);
        }
        catch (Exception e)
        {
            logger.LogSettleFailed(e, JobId);
        }
    }

    /// <inheritdoc />
    public async Task<JobStatus> RetryFailedAsync()
    {
        RetryRound.EnsureAllowed(state.State, Snapshot().IsTerminal, Drain.Draining);
        var failed = await RetryRound.OpenAsync(store, JobId, state.State);
        if (failed == 0)
        {
            return Status();
        }

        work = null;
        await state.WriteStateAsync();
        await RegisterReminderAsync();
        await Progress.MarkInIndexAsync(unfinished: true);
        logger.LogRetryRound(JobId, state.State.Round, failed);
        EnsurePump();
        return Status();
    }

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (state.State.State == JobState.Running)
        {
            EnsurePump();
        }
        else if (await this.GetReminder(reminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private Task RegisterReminderAsync() => this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));

    private void EnsurePump()
    {
        if (pump is null || pump.IsCompleted)
        {
            pump = JobTelemetry.RunAsync(JobId, logger, PumpAsync);
        }
    }

    /// <summary>Runs the round: images on inference grains, then, once they pay, the rest of it in pages on partitions.</summary>
    private async Task PumpAsync()
    {
        if (items is null || pages is null)
        {
            var host = new PumpHost
            {
                JobId = JobId, State = () => state.State, Ledger = ledger, Work = () => Work, Activity = activity, Notice = notice, Logger = logger,
                KeepAlive = () => this.DelayDeactivation(TimeSpan.FromMinutes(10)),
                FoldAsync = Progress.FoldFinishedAsync,
                FinishAsync = FinishAsync,
                Returned = Returned,
            };
            pages = new PartitionPump(host, options.Value.Partitions, key => GrainFactory.GetGrain<IPartitionGrain>(key), ActiveSilos);
            items = new ItemPump(host, Dispatcher, store, pages.Pays);
        }

        try
        {
            if (await items.RunAsync() is (true, var nextToken))
            {
                await pages.RunAsync(nextToken);
            }
        }
        catch (Exception e)
        {
            // Listing or state storage failed for good (retries are inside the store): the reminder tries again.
            logger.LogPumpFailed(e, JobId);
        }
    }

    /// <summary>A batch or page came back: out of flight, the pump woken, and a cancel that waited for it settled.</summary>
    private void Returned(int images)
    {
        activity.InFlight -= images;
        activity.Wake();
        _ = SettleIfDrainedAsync();
    }

    private async Task FinishAsync()
    {
        if (state.State.Spec!.Options.Preview is not null)
        {
            await PreviewSheet.RecordAsync(JobId, state.State, work, Dispatcher, notice, logger);
        }

        await Progress.PersistEndAsync(JobState.Completed);
        await audit.FinishedAsync(JobId, state.State.Spec!, JobState.Completed, Status().Counters);
        if (await this.GetReminder(ReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        logger.LogCompleted(JobId, state.State.Counters.Ok, state.State.Counters.Failed, state.State.Counters.Skipped);
    }

    private int ActiveSilos() => silos.GetApproximateSiloStatuses(onlyActive: true).Count;

    /// <summary>The status as callers see it (<see cref="JobStatusView.Published"/>): terminal once the summary is written.</summary>
    private JobStatus Status() => JobStatusView.Published(Snapshot(), Progress.Publishing);

    private JobStatus Snapshot() =>
        JobStatusView.Snapshot(JobId, state.State, ledger, activity.InFlight, Drain.Draining, notice.Current, pendingCheck);
}
