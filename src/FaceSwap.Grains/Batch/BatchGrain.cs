using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Diagnostics;
using FaceSwap.Grains.Hosting;
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
    private const int MaxAttempts = 4;
    private static readonly TimeSpan PersistInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan WaitForSilo = TimeSpan.FromSeconds(2);

    private readonly LinkedList<Page> pages = new();
    private Task? pump;
    private const int InferenceKeys = 64;
    private int inFlight;
    private string? notice;
    private bool deactivated;
    private bool publishing;
    private string[]? retryPaths;

    /// <summary>The cancel's own writes (terminal state, summary, audit line), once a cancel has started them.</summary>
    private Task? cancelRecorded;

    /// <summary>Recording the outcomes of the images that were in flight at a cancel, once they have all finished.</summary>
    private Task? settle;

    /// <summary>A cancel left images in flight: they finish, and the summary and audit log get their outcomes too.</summary>
    private bool draining;
    private long dispatchCounter = Random.Shared.Next(InferenceKeys);
    private DateTimeOffset lastPersist;
    private DateTimeOffset lastStatusWrite;
    private TaskCompletionSource wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private string JobId => this.GetPrimaryKeyString();

    private AuditLog Audit => audit ??= AuditLog.For(ServiceProvider);

    private AuditLog? audit;

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.State == JobState.Running)
        {
            LogResuming(JobId, state.State.Counters.Finished);
            EnsurePump();

            // A job from before the index recorded unfinished jobs records itself, so the next start wakes it too.
            _ = MarkInIndexAsync(unfinished: true);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Loops of this activation stop; a new activation resumes from the persisted cursor (outputs already written
        // are skipped), so nothing is lost or written twice.
        deactivated = true;
        Wake();
        return Task.CompletedTask;
    }

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

        SourceCheck check;
        try
        {
            check = await NextInferenceGrain().CheckSourceAsync(spec);
        }
        catch (Exception e) when (e is OrleansException or ArgumentException or TimeoutException)
        {
            // Nothing was persisted: a later StartAsync tries again from scratch.
            throw new InvalidOperationException($"no inference silo is available to check the source face: {e.Message}", e);
        }

        if (state.State.Spec is not null)
        {
            return Status();
        }

        // The audit line is written before anything is persisted: a job that cannot be audited does not start.
        try
        {
            await Audit.SubmittedAsync(JobId, spec, check);
        }
        catch (Exception e) when (e is IOException or Azure.RequestFailedException or InvalidBlobPathException)
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
            return Status();
        }

        var source = await store.GetPropertiesAsync(spec.Source);
        var referenceVersions = new List<string>();
        if (spec.Options.Faces == FaceMode.Reference)
        {
            foreach (var reference in spec.Options.References ?? [])
            {
                referenceVersions.Add($"{reference}@{(await store.GetPropertiesAsync(reference))?.ETag ?? "none"}");
            }
        }

        state.State.SpecHash = SpecHash(spec, source?.ETag ?? "none", referenceVersions) + await SourceMatrix.HashPartAsync(store, spec);
        state.State.State = JobState.Running;
        state.State.Started = DateTimeOffset.UtcNow;
        await state.WriteStateAsync();
        await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        LogStarted(JobId, spec.Input, spec.Output);
        await WriteStatusBlobAsync(force: true);
        EnsurePump();
        return Status();
    }

    /// <inheritdoc />
    public Task<JobStatus> GetStatusAsync() => Task.FromResult(Status());

    /// <inheritdoc />
    public async Task<JobStatus> CancelAsync()
    {
        if (!Snapshot().IsTerminal)
        {
            // Nothing new is dispatched; images already in flight on inference silos still finish (their outputs are
            // written), so they are recorded too: the job stays "cancelled" with inFlight above 0 until the last of
            // them is in the outcomes, the counters, the summary and the audit log.
            draining = inFlight > 0;
            if (!draining)
            {
                FoldAllPages();
            }

            cancelRecorded = RecordCancelAsync();
            await cancelRecorded;
            await SettleIfDrainedAsync();
        }

        return Status();
    }

    private async Task RecordCancelAsync()
    {
        await PersistEndAsync(JobState.Cancelled);
        await Audit.FinishedAsync(JobId, state.State.Spec!, JobState.Cancelled, Status().Counters, inFlight);
        Wake();
    }

    /// <summary>After a cancel, once the last image that was in flight has its outcome: the final counters, summary and audit line.</summary>
    private Task SettleIfDrainedAsync() =>
        draining && inFlight == 0 && cancelRecorded is { IsCompleted: true } ? settle ??= SettleAsync() : Task.CompletedTask;

    /// <summary>A stopped job's pages, finished or not, into the persisted counters: what its status showed.</summary>
    private void FoldAllPages()
    {
        foreach (var page in pages)
        {
            state.State.Counters = state.State.Counters.Plus(page.Totals);
        }

        pages.Clear();
    }

    private async Task SettleAsync()
    {
        try
        {
            FoldAllPages();
            await state.WriteStateAsync();
            await WriteSummaryAsync();
            await Audit.CancelFinishedAsync(JobId, state.State.Spec!, state.State.Counters);
        }
        catch (Exception e)
        {
            LogSettleFailed(e, JobId);
        }
        finally
        {
            draining = false;
        }
    }

    /// <inheritdoc />
    public async Task<JobStatus> RetryFailedAsync()
    {
        var spec = state.State.Spec ?? throw new InvalidOperationException("the job does not exist");
        if (!Snapshot().IsTerminal)
        {
            throw new InvalidOperationException("the job is still running; cancel it or wait for it to finish first");
        }

        if (draining)
        {
            throw new InvalidOperationException("the job was cancelled and the images that were in flight are still finishing; wait until its inFlight is 0");
        }

        if (state.State.SpecHash is null)
        {
            throw new InvalidOperationException($"the job failed before it started ({state.State.Error}); submit a new job");
        }

        var failed = (await JobOutcomes.ReadLatestAsync(store, JobFiles.Outcomes(spec, JobId)))
            .Where(o => o.Status == ImageStatus.Failed)
            .Select(o => o.Path)
            .ToList();
        if (failed.Count == 0)
        {
            return Status();
        }

        var round = state.State.Round + 1;
        var list = JobFiles.RetryList(spec, JobId, round);
        await store.WriteAsync(list, Encoding.UTF8.GetBytes(string.Join('\n', failed) + "\n"), "text/plain", null);

        // The failed images leave the counters and come back as the round lists them again.
        var counters = state.State.Counters;
        state.State.Counters = counters with { Failed = counters.Failed - failed.Count, Discovered = counters.Discovered - failed.Count };
        state.State.Round = round;
        state.State.RetryList = list;
        state.State.ResumeToken = null;
        state.State.ListingComplete = false;
        state.State.State = JobState.Running;
        state.State.Finished = null;
        state.State.Started = DateTimeOffset.UtcNow;
        retryPaths = null;
        await state.WriteStateAsync();
        await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        await MarkInIndexAsync(unfinished: true);
        LogRetryRound(JobId, round, failed.Count);
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
        var buffer = new Queue<(WorkItem Item, Page Page)>();
        try
        {
            while (state.State.State == JobState.Running && !deactivated)
            {
                this.DelayDeactivation(TimeSpan.FromMinutes(10));
                while (inFlight < window && (buffer.Count > 0 || !listed))
                {
                    if (buffer.Count == 0 && PartitionsPay())
                    {
                        // A large job: the classic window drains, then the rest goes to partition grains.
                        if (inFlight > 0)
                        {
                            break;
                        }

                        await PartitionPumpAsync(spec, nextToken);
                        return;
                    }

                    if (buffer.Count == 0)
                    {
                        var page = await ListPageAsync(spec, nextToken, pageSize);
                        var tracked = new Page(nextToken, page.ContinuationToken);
                        foreach (var item in page.Items.Where(b => JobFiles.IsInputImage(spec, b.Path)).SelectMany(b => SourceMatrix.WorkItems(spec, b, retryRound: state.State.RetryList is not null)))
                        {
                            buffer.Enqueue((item, tracked));
                            tracked.Listed++;
                        }

                        pages.AddLast(tracked);
                        nextToken = page.ContinuationToken;
                        listed = nextToken is null;
                        tracked.LastPage = listed;
                        if (tracked.Listed == 0)
                        {
                            await FoldFinishedPagesAsync(force: false);
                        }

                        continue;
                    }

                    var batch = new List<(WorkItem Item, Page Page)>();
                    while (batch.Count < batchSize && buffer.Count > 0 && inFlight + batch.Count < window)
                    {
                        batch.Add(buffer.Dequeue());
                    }

                    inFlight += batch.Count;
                    _ = DispatchAsync(spec, batch);
                }

                if (inFlight == 0 && buffer.Count == 0 && listed)
                {
                    await FoldFinishedPagesAsync(force: true);
                    await FinishAsync();
                    return;
                }

                await wake.Task;
                wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                await FoldFinishedPagesAsync(force: false);
            }
        }
        catch (Exception e)
        {
            // Listing or state storage failed for good (retries are inside the store): the reminder tries again.
            LogPumpFailed(e, JobId);
        }
    }

    /// <summary>
    /// One page of the round's listing: the input prefix in the first round, the retry list in a retry round (whose
    /// token is a line number, and whose items get their current version so that a replaced file is read anew).
    /// </summary>
    private async Task<BlobPage> ListPageAsync(JobSpec spec, string? token, int pageSize)
    {
        if (state.State.RetryList is not { } list)
        {
            return await store.ListAsync(spec.Input, token, pageSize);
        }

        retryPaths ??= Encoding.UTF8.GetString(await store.ReadAllBytesAsync(list, long.MaxValue))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var start = token is null ? 0 : int.Parse(token, CultureInfo.InvariantCulture);
        var end = Math.Min(retryPaths.Length, start + pageSize);
        var items = new List<BlobItemInfo>();
        foreach (var relative in retryPaths[start..end])
        {
            var path = spec.Input + relative;
            items.Add(await store.GetPropertiesAsync(SourceMatrix.InputPath(spec, path)) is { } found ? found with { Path = path } : new BlobItemInfo(path, 0, "", DateTimeOffset.MinValue));
        }

        return new BlobPage(items, end < retryPaths.Length ? end.ToString(CultureInfo.InvariantCulture) : null);
    }

    private async Task DispatchAsync(JobSpec spec, List<(WorkItem Item, Page Page)> batch)
    {
        IReadOnlyList<ImageOutcome> outcomes;
        var request = new WorkBatch { JobId = JobId, Spec = spec, SpecHash = state.State.SpecHash!, Items = batch.Select(b => b.Item).ToList() };
        for (var attempt = 1; ; attempt++)
        {
            if (deactivated)
            {
                return;
            }

            try
            {
                outcomes = await NextInferenceGrain().ProcessAsync(request);
                notice = null;
                break;
            }
            catch (Exception e) when (IsNoInferenceSilo(e) && state.State.State == JobState.Running && !deactivated)
            {
                // The inference silo was lost, or none is in the cluster (all lost, or scaled to zero): not the batch's
                // fault, so no attempt is used up; the job says why it waits and tries again until a silo takes the
                // batch or the job is cancelled.
                attempt--;
                if (notice is null)
                {
                    LogWaiting(JobId);
                }

                notice = e is SiloUnavailableException
                    ? "waiting for an inference silo: the one running a batch was lost"
                    : "waiting for an inference silo: none is in the cluster";
                await Task.Delay(WaitForSilo);
            }
            catch (Exception e) when (attempt < MaxAttempts)
            {
                // A lost inference silo, a timeout: the batch goes to another silo. Outputs already written there
                // match their metadata and are skipped, so nothing is written twice.
                LogRetry(JobId, attempt, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt));
            }
            catch (Exception e)
            {
                outcomes = batch.Select(b => new ImageOutcome
                {
                    Path = SourceMatrix.OutputRelative(spec, b.Item),
                    Identity = b.Item.Identity,
                    Status = ImageStatus.Failed,
                    ErrorClass = "dispatch_error",
                    Message = e.Message,
                }).ToList();
                break;
            }
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
            LogManifestFailed(e, JobId);
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var page = batch[i].Page;
            page.Counters = page.Counters.Add(outcomes[i]);
            page.Done++;
        }

        inFlight -= batch.Count;
        Wake();
        _ = SettleIfDrainedAsync();
    }

    /// <summary>Folds finished leading pages into the persisted counters and cursor; persists at most every few seconds.</summary>
    private async Task FoldFinishedPagesAsync(bool force)
    {
        var changed = false;
        while (pages.First is { } first && first.Value.Done == first.Value.Listed)
        {
            var page = first.Value;
            state.State.Counters = state.State.Counters.Plus(page.Totals);
            state.State.ResumeToken = page.NextToken;
            state.State.ListingComplete = page.LastPage;
            pages.RemoveFirst();
            changed = true;
        }

        if (changed && (force || DateTimeOffset.UtcNow - lastPersist > PersistInterval))
        {
            await state.WriteStateAsync();
            lastPersist = DateTimeOffset.UtcNow;
            await WriteStatusBlobAsync(force: false);
        }
    }

    private async Task FinishAsync()
    {
        await PersistEndAsync(JobState.Completed);
        await Audit.FinishedAsync(JobId, state.State.Spec!, JobState.Completed, Status().Counters);
        if (await this.GetReminder(ReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        LogCompleted(JobId, state.State.Counters.Ok, state.State.Counters.Failed, state.State.Counters.Skipped);
    }

    /// <summary>
    /// Persists the terminal state and writes the summary; until both are written the status still reads Running, so
    /// no one who sees the end finds the summary missing.
    /// </summary>
    private async Task PersistEndAsync(JobState end)
    {
        publishing = true;
        state.State.State = end;
        state.State.Finished = DateTimeOffset.UtcNow;
        try
        {
            await state.WriteStateAsync();
            await WriteSummaryAsync();
        }
        finally
        {
            publishing = false;
        }

        await MarkInIndexAsync(unfinished: false);
    }

    /// <summary>
    /// Records in the job index whether this job is unfinished, so that a host's start wakes every unfinished job
    /// (reminders do that in a cluster, but the embedded host keeps them in memory). A failure is logged: the job's
    /// own state is what counts, and its reminder or a status read still wakes it.
    /// </summary>
    private async Task MarkInIndexAsync(bool unfinished)
    {
        try
        {
            await GrainFactory.GetGrain<IJobIndexGrain>(0).MarkAsync(JobId, unfinished);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogIndexFailed(e, JobId);
        }
    }

    /// <summary>Mirrors the status to the spec's status blob, if it has one (blob-drop jobs); at most every few seconds unless forced.</summary>
    private async Task WriteStatusBlobAsync(bool force)
    {
        if (state.State.Spec?.StatusPath is not { } path || (!force && DateTimeOffset.UtcNow - lastStatusWrite < StatusInterval))
        {
            return;
        }

        lastStatusWrite = DateTimeOffset.UtcNow;
        try
        {
            await store.WriteAsync(path, JsonSerializer.SerializeToUtf8Bytes(Snapshot(), new JsonSerializerOptions(FaceSwapJson.Options) { WriteIndented = true }), "application/json", null);
        }
        catch (Exception e) when (e is IOException or Azure.RequestFailedException)
        {
            LogStatusFailed(e, JobId, path);
        }
    }

    private async Task WriteSummaryAsync()
    {
        await WriteStatusBlobAsync(force: true);
        var status = Snapshot();
        var elapsed = ((status.Finished ?? DateTimeOffset.UtcNow) - (state.State.Started ?? status.Created)).TotalSeconds;
        var faces = await FaceReview.ReadAsync(store, JobFiles.Outcomes(state.State.Spec!, JobId));
        var summary = new
        {
            jobId = JobId,
            state = status.State,
            error = status.Error,
            counts = status.Counters,
            created = status.Created,
            started = state.State.Started,
            finished = status.Finished,
            elapsedSeconds = Math.Round(elapsed, 2),
            imagesPerSecond = elapsed > 0 ? Math.Round(status.Counters.Finished / elapsed, 2) : 0,
            spec = status.Spec,
            specHash = state.State.SpecHash,
            stages = await StageTable.ReadAsync(store, JobFiles.Outcomes(state.State.Spec!, JobId)),
            quality = faces.Quality,
            review = faces.Review,
            sources = SourceMatrix.IsMatrix(state.State.Spec!)
                ? SourceMatrix.Table(state.State.Spec!, await JobOutcomes.ReadLatestAsync(store, JobFiles.Outcomes(state.State.Spec!, JobId)))
                : null,
        };
        await store.WriteAsync(JobFiles.Summary(state.State.Spec!, JobId),
            JsonSerializer.SerializeToUtf8Bytes(summary, new JsonSerializerOptions(FaceSwapJson.Options) { WriteIndented = true }), "application/json", null);
    }

    /// <summary>
    /// The status as callers see it: a job turns terminal for them only once its summary and status blob are written,
    /// so whoever sees "completed" finds them.
    /// </summary>
    private JobStatus Status() => publishing ? Snapshot() with { State = JobState.Running, Finished = null } : Snapshot();

    private JobStatus Snapshot()
    {
        var counters = state.State.Counters;
        foreach (var page in pages)
        {
            counters = counters.Plus(page.Totals);
        }

        return new JobStatus
        {
            JobId = JobId,
            State = state.State.State,
            Counters = counters,

            // A cancelled job reads inFlight 1 or more until the images in flight at the cancel are recorded.
            InFlight = draining ? Math.Max(1, inFlight) : inFlight,
            ListingComplete = state.State.ListingComplete || (pages.Last?.Value.LastPage ?? false),
            Created = state.State.Created,
            Finished = state.State.Finished,
            Error = state.State.Error, ErrorCode = state.State.ErrorCode, ErrorField = state.State.ErrorField,
            Spec = state.State.Spec,
            Notice = state.State.State == JobState.Running ? notice
                : draining ? $"cancelled: {inFlight} images that were in flight are finishing; the counts and summary are final when inFlight is 0"
                : null,
        };
    }

    private void Wake() => wake.TrySetResult();

    /// <summary>
    /// Whether a call failed because no inference silo can take it: the one called was lost, or none is in the cluster
    /// (Orleans says "No active nodes are compatible" while the dead silo's type map lingers, then "Could not find an
    /// implementation" once no live silo has the grain class).
    /// </summary>
    internal static bool IsNoInferenceSilo(Exception e) =>
        e is SiloUnavailableException
        || e.Message.Contains("became unavailable", StringComparison.Ordinal)
        || e.Message.Contains("No active nodes are compatible", StringComparison.Ordinal)
        || e.Message.Contains("Could not find an implementation for interface", StringComparison.Ordinal);

    /// <summary>
    /// A stateless inference grain with a rotating key: a caller caches the placement of each key, so one fixed key
    /// would send every batch to the same inference silo. Retries get a new key, and so likely another silo.
    /// </summary>
    private IInferenceGrain NextInferenceGrain() => GrainFactory.GetGrain<IInferenceGrain>(dispatchCounter++ % InferenceKeys);

    private static void Validate(JobSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.Source) || string.IsNullOrWhiteSpace(spec.Input) || string.IsNullOrWhiteSpace(spec.Output))
        {
            throw new ArgumentException("a job needs a source, an input prefix and an output prefix");
        }

        if (!spec.Input.EndsWith('/') || !spec.Output.EndsWith('/'))
        {
            throw new ArgumentException("input and output prefixes must end with '/'");
        }

        // The window and the batch are held in memory as given: a value out of range is refused, not clamped.
        if (spec.Options.BatchSize is < 1 or > JobOptions.MaxBatchSize || spec.Options.Prefetch is < 1 or > JobOptions.MaxPrefetch)
        {
            throw new ArgumentException($"options.batchSize must be 1 to {JobOptions.MaxBatchSize} and options.prefetch 1 to {JobOptions.MaxPrefetch}");
        }
    }

    /// <summary>
    /// The source's ETag, then a hash of everything else that shapes an output: options, and in reference mode each
    /// reference's path and version and the distance. Parts added for newer options appear only when they are not at
    /// their defaults, so outputs of jobs from before them still match.
    /// </summary>
    private static string SpecHash(JobSpec spec, string sourceETag, IReadOnlyList<string> referenceVersions)
    {
        var o = spec.Options;
        var text = $"{spec.Source}|{o.Faces}|{o.Quality}|engine=morph-1{(o.Watermark ? "" : "|no-watermark")}"
            + (o.MinFace > 0 ? $"|min-face={o.MinFace}" : "")
            + (o.StripGps ? "|strip-gps" : "") + (o.CopyUnswapped ? "|copy-unswapped" : "")
            + Inference.NeuralJobs.SpecHashPart(o)
            + (o.Faces == FaceMode.Reference
                ? FormattableString.Invariant($"|distance={o.ReferenceDistance:R}|references={string.Join(",", referenceVersions)}")
                : "");
        return sourceETag.Replace(":", "_", StringComparison.Ordinal) + ":" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    [LoggerMessage(1, LogLevel.Information, "Job {JobId} started: {Input} -> {Output}")]
    private partial void LogStarted(string jobId, string input, string output);

    [LoggerMessage(2, LogLevel.Information, "Job {JobId} resuming after {Finished} images")]
    private partial void LogResuming(string jobId, long finished);

    [LoggerMessage(3, LogLevel.Warning, "Job {JobId}: batch attempt {Attempt} failed, retrying: {Message}")]
    private partial void LogRetry(string jobId, int attempt, string message);

    [LoggerMessage(4, LogLevel.Error, "Job {JobId}: dispatch loop stopped; the reminder will resume it")]
    private partial void LogPumpFailed(Exception exception, string jobId);

    [LoggerMessage(5, LogLevel.Error, "Job {JobId}: could not append to the outcomes manifest")]
    private partial void LogManifestFailed(Exception exception, string jobId);

    [LoggerMessage(6, LogLevel.Information, "Job {JobId} completed: {Ok} ok, {Failed} failed, {Skipped} skipped")]
    private partial void LogCompleted(string jobId, long ok, long failed, long skipped);

    [LoggerMessage(9, LogLevel.Warning, "Job {JobId}: no inference silo is in the cluster; waiting for one")]
    private partial void LogWaiting(string jobId);

    [LoggerMessage(8, LogLevel.Warning, "Job {JobId}: could not write its status to {Path}")]
    private partial void LogStatusFailed(Exception exception, string jobId, string path);

    [LoggerMessage(13, LogLevel.Warning, "Job {JobId}: could not record in the job index whether it is unfinished")]
    private partial void LogIndexFailed(Exception exception, string jobId);

    [LoggerMessage(12, LogLevel.Error, "Job {JobId}: the outcomes of images that finished after the cancel could not be recorded")]
    private partial void LogSettleFailed(Exception exception, string jobId);

    [LoggerMessage(7, LogLevel.Information, "Job {JobId}: retry round {Round} runs {Count} failed images again")]
    private partial void LogRetryRound(string jobId, int round, int count);

    /// <summary>One listing page in memory: how many images it had and how many have outcomes.</summary>
    private sealed class Page(string? startToken, string? nextToken)
    {
        public string? StartToken { get; } = startToken;
        public string? NextToken { get; } = nextToken;
        public int Listed { get; set; }
        public int Done { get; set; }
        public bool LastPage { get; set; }
        public JobCounters Counters { get; set; } = new();

        /// <summary>The page's outcome counters plus the images it listed.</summary>
        public JobCounters Totals => Counters with { Discovered = Counters.Discovered + Listed };
    }
}
