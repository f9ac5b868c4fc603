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

namespace FaceSwap.Grains.Batch;

/// <summary>
/// Owns one job. Lists the input lazily page by page, keeps a bounded window of images in flight on inference
/// grains, appends outcomes to a JSON-lines manifest and persists progress in batches. Reentrant so that status
/// calls interleave with the dispatch loop; all state changes happen on the grain's single thread.
/// A reminder wakes the job up again after its silo is lost.
/// </summary>
[Reentrant]
[ApiSiloPlacement]
public sealed partial class BatchGrain(
    [PersistentState("job", BatchGrain.StorageName)] IPersistentState<BatchState> state,
    IBlobStore store,
    IOptions<FaceSwapSiloOptions> options,
    ILogger<BatchGrain> logger) : Grain, IBatchGrain, IRemindable
{
    /// <summary>Name of the grain storage provider for job state.</summary>
    public const string StorageName = "jobs";

    private const string ReminderName = "resume";

    private readonly PageLedger ledger = new();
    private Task? pump;
    private int inFlight;
    private readonly JobNotice notice = new();
    private bool deactivated;

    /// <summary>The current round's work: the input prefix, or in a retry round its list of failed images.</summary>
    private IWorkSource Work => work ??= WorkSources.For(store, state.State.Spec!, state.State.RetryList);

    private IWorkSource? work;

    /// <summary>A cancel's images still in flight: they finish, and the summary and audit log get their outcomes too.</summary>
    private CancelDrain Drain => drain ??= new(SettleAsync);

    private CancelDrain? drain;
    private InferenceDispatcher? dispatcher;

    /// <summary>Cancelled when the activation goes: its inference calls stop before their next attempt.</summary>
    private readonly CancellationTokenSource stopping = new();

    /// <summary>This activation's run: batches carry it, and inference silos drop the work of a run that is no longer current.</summary>
    private readonly Guid run = Guid.NewGuid();
    private TaskCompletionSource wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private string JobId => this.GetPrimaryKeyString();

    private AuditLog Audit => audit ??= AuditLog.For(ServiceProvider);

    private AuditLog? audit;

    /// <summary>Folding, persisting and publishing the job's progress.</summary>
    private JobProgress Progress => progress ??= new(state, ledger, store, JobId, Snapshot, () => GrainFactory.GetGrain<IJobIndexGrain>(0), logger);

    private JobProgress? progress;

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
        deactivated = true;
        stopping.Cancel();
        Wake();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<JobStatus> GetStatusAsync() => Task.FromResult(Status());

    /// <inheritdoc />
    public Task<bool> IsCurrentRunAsync(Guid run) => Task.FromResult(run == this.run && !deactivated);

    /// <inheritdoc />
    public async Task<JobStatus> CancelAsync()
    {
        if (!Snapshot().IsTerminal)
        {
            // Nothing new is dispatched; images already in flight on inference silos still finish (their outputs are
            // written), so they are recorded too: the job stays "cancelled" with inFlight above 0 until the last of
            // them is in the outcomes, the counters, the summary and the audit log.
            await Drain.CancelAsync(inFlight, () => ledger.FoldAll(state.State), RecordCancelAsync);
            await SettleIfDrainedAsync();
        }

        return Status();
    }

    private async Task RecordCancelAsync()
    {
        await Progress.PersistEndAsync(JobState.Cancelled);
        await Audit.FinishedAsync(JobId, state.State.Spec!, JobState.Cancelled, Status().Counters, inFlight);
        Wake();
    }

    /// <summary>After a cancel, once the last image that was in flight has its outcome: the final counters, summary and audit line.</summary>
    private Task SettleIfDrainedAsync() => Drain.SettleIfDrainedAsync(inFlight);

    private async Task SettleAsync()
    {
        try
        {
            await Progress.FoldAllAsync();
            await Audit.CancelFinishedAsync(JobId, state.State.Spec!, state.State.Counters);
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
        await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
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

    private void EnsurePump()
    {
        if (pump is null || pump.IsCompleted)
        {
            pump = JobTelemetry.RunAsync(JobId, logger, PumpAsync);
        }
    }

    private async Task PumpAsync()
    {
        var spec = state.State.Spec!;
        var window = Math.Max(1, spec.Options.Prefetch);
        var batchSize = Math.Clamp(spec.Options.BatchSize, 1, window);
        var pageSize = Math.Max(window * 2, 32);
        var nextToken = state.State.ResumeToken;
        var listed = state.State.ListingComplete;
        var buffer = new Queue<(WorkItem Item, LedgerPage Page)>();

        // Fills the window of images in flight; true once the rest of the round goes to partitions instead.
        async Task<bool> FillAsync()
        {
            while (inFlight < window && (buffer.Count > 0 || !listed))
            {
                if (buffer.Count == 0 && PartitionsPay())
                {
                    // A large job: the classic window drains, then the rest goes to partition grains.
                    return inFlight == 0;
                }

                if (buffer.Count == 0)
                {
                    var page = await Work.PageAsync(nextToken, pageSize);
                    var tracked = ledger.Open(nextToken, page.NextToken);
                    foreach (var item in page.Items)
                    {
                        buffer.Enqueue((item, tracked));
                        tracked.Listed++;
                    }

                    nextToken = page.NextToken;
                    listed = nextToken is null;
                    if (tracked.Listed == 0)
                    {
                        await Progress.FoldFinishedAsync(force: false);
                    }

                    continue;
                }

                var batch = new List<(WorkItem Item, LedgerPage Page)>();
                while (batch.Count < batchSize && buffer.Count > 0 && inFlight + batch.Count < window)
                {
                    batch.Add(buffer.Dequeue());
                }

                inFlight += batch.Count;
                _ = DispatchAsync(spec, batch);
            }

            return false;
        }

        try
        {
            if (await RunWindowAsync(FillAsync, () => inFlight == 0 && buffer.Count == 0 && listed))
            {
                await PartitionPumpAsync(spec, nextToken);
            }
        }
        catch (Exception e)
        {
            // Listing or state storage failed for good (retries are inside the store): the reminder tries again.
            logger.LogPumpFailed(e, JobId);
        }
    }

    /// <summary>
    /// The loop both pumps share: fill the window, end the job once everything is listed and nothing is in flight
    /// (<paramref name="drained"/>), else wait for an outcome and fold the pages it finished. True when
    /// <paramref name="fillAsync"/> handed the rest of the round over; false when the job ended, stopped or deactivated.
    /// </summary>
    private async Task<bool> RunWindowAsync(Func<Task<bool>> fillAsync, Func<bool> drained)
    {
        while (state.State.State == JobState.Running && !deactivated)
        {
            this.DelayDeactivation(TimeSpan.FromMinutes(10));
            if (await fillAsync())
            {
                return true;
            }

            if (drained())
            {
                await Progress.FoldFinishedAsync(force: true);
                await FinishAsync();
                return false;
            }

            await wake.Task;
            wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await Progress.FoldFinishedAsync(force: false);
        }

        return false;
    }

    private async Task DispatchAsync(JobSpec spec, List<(WorkItem Item, LedgerPage Page)> batch)
    {
        IReadOnlyList<ImageOutcome> outcomes;
        var request = new WorkBatch { JobId = JobId, Spec = spec, SpecHash = state.State.SpecHash!, Items = batch.Select(b => b.Item).ToList(), Run = run };
        try
        {
            outcomes = await Dispatcher.ProcessAsync(request, stopping.Token);
            notice.Clear();
        }
        catch (OperationCanceledException) when (deactivated)
        {
            return;
        }
        catch (Exception e)
        {
            outcomes = InferenceDispatcher.Failed(spec, batch.Select(b => b.Item), e);
        }

        if (deactivated)
        {
            return;
        }

        try
        {
            await store.AppendLinesAsync(JobFiles.Outcomes(spec, JobId), outcomes.Select(JobOutcomes.ToLine));
        }
        catch (Exception e)
        {
            logger.LogManifestFailed(e, JobId);
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Page.Record(outcomes[i]);
        }

        inFlight -= batch.Count;
        Wake();
        _ = SettleIfDrainedAsync();
    }

    private async Task FinishAsync()
    {
        if (state.State.Spec!.Options.Preview is not null)
        {
            await RecordPreviewAsync();
        }

        await Progress.PersistEndAsync(JobState.Completed);
        await Audit.FinishedAsync(JobId, state.State.Spec!, JobState.Completed, Status().Counters);
        if (await this.GetReminder(ReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        logger.LogCompleted(JobId, state.State.Counters.Ok, state.State.Counters.Failed, state.State.Counters.Skipped);
    }

    /// <summary>The status as callers see it (<see cref="JobStatusView.Published"/>): terminal once the summary is written.</summary>
    private JobStatus Status() => JobStatusView.Published(Snapshot(), Progress.Publishing);

    private JobStatus Snapshot() => JobStatusView.Snapshot(JobId, state.State, ledger, inFlight, Drain.Draining, notice.Current, pendingCheck);

    private void Wake() => wake.TrySetResult();

    /// <summary>
    /// Inference calls of this activation: a job that no inference silo can serve waits while it runs (its status says
    /// why), and a batch that keeps failing fails its images.
    /// </summary>
    private InferenceDispatcher Dispatcher => dispatcher ??= new InferenceDispatcher(GrainFactory, new DispatchRules
    {
        KeepWaiting = () => state.State.State == JobState.Running && !deactivated,
        OnWaiting = e =>
        {
            if (notice.Waiting(e))
            {
                logger.LogWaiting(JobId);
            }
        },
        OnRetry = (attempt, e) => logger.LogRetry(JobId, attempt, e.Message),
    });
}
