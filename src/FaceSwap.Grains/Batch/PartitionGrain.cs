using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Placement;
using FaceSwap.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// Runs one listing page of a large job for its BatchGrain: batches of names go to inference grains (on the partition's
/// own silo, where stateless workers prefer to run), outcomes are appended to the job's manifest per batch, and the
/// page's counters come back in one answer. Placed on inference silos so that the page's work and its coordination
/// share a silo; if that silo is lost, the BatchGrain runs the page again and the outputs already written are skipped.
/// </summary>
[Reentrant]
[InferenceSiloPlacement]
public sealed partial class PartitionGrain(IBlobStore store, ILogger<PartitionGrain> logger) : Grain, IPartitionGrain
{
    private const int InferenceKeys = 64;
    private const int MaxAttempts = 4;
    private static readonly TimeSpan WaitForSilo = TimeSpan.FromSeconds(2);

    private Task<PageResult>? run;
    private List<string> pendingLines = [];
    private Task? appending;
    private bool cancelled;
    private long dispatchCounter = Random.Shared.Next(InferenceKeys);

    /// <inheritdoc />
    public async Task<PageResult> RunPageAsync(PartitionPage page)
    {
        run ??= RunAsync(page);
        var result = await run;

        // The answer is the page's only product: the activation goes once it is given, so a million-image job does not
        // leave hundreds of idle partitions behind.
        this.DeactivateOnIdle();
        return result;
    }

    /// <inheritdoc />
    public Task CancelAsync()
    {
        cancelled = true;
        return Task.CompletedTask;
    }

    private async Task<PageResult> RunAsync(PartitionPage page)
    {
        var batchSize = Math.Max(1, page.BatchSize);
        var batches = (page.Items.Count + batchSize - 1) / batchSize;
        var next = 0;
        var counters = new JobCounters();
        var calls = 0;
        var manifest = JobFiles.Outcomes(page.Spec, page.JobId);

        // Workers share the counters without locks: every continuation runs on the grain's single thread.
        async Task WorkAsync()
        {
            while (!cancelled && next < batches)
            {
                var first = next++ * batchSize;
                var items = page.Items.Skip(first).Take(batchSize).ToList();
                var (outcomes, attempts) = await DispatchAsync(page, items);
                calls += attempts;
                pendingLines.AddRange(outcomes.Select(JobOutcomes.ToLine));
                if (appending is null || appending.IsCompleted)
                {
                    appending = AppendPendingAsync(page.JobId, manifest);
                }

                foreach (var outcome in outcomes)
                {
                    counters = counters.Add(outcome);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Clamp(page.BatchesInFlight, 1, Math.Max(1, batches))).Select(_ => WorkAsync()));
        while (appending is { IsCompleted: false } last)
        {
            await last;
        }

        if (pendingLines.Count > 0)
        {
            await AppendPendingAsync(page.JobId, manifest);
        }

        return new PageResult { Counters = counters, Cancelled = cancelled && counters.Finished < page.Items.Count, InferenceCalls = calls };
    }

    /// <summary>
    /// Appends the outcome lines gathered so far, and again while more arrive during an append (group commit): under
    /// load one append carries several batches, so the manifest takes fewer, larger appends (an Azure append blob holds
    /// at most 50,000 blocks), and when idle a batch's lines go out at once.
    /// </summary>
    private async Task AppendPendingAsync(string jobId, string manifest)
    {
        try
        {
            while (pendingLines.Count > 0)
            {
                var lines = pendingLines;
                pendingLines = [];
                try
                {
                    await store.AppendLinesAsync(manifest, lines);
                }
                catch (Exception e)
                {
                    LogManifestFailed(e, jobId);
                }
            }
        }
        finally
        {
            appending = null;
        }
    }

    /// <summary>One batch on an inference grain, with the BatchGrain's retry rules: a lost or missing inference silo costs no attempt.</summary>
    private async Task<(IReadOnlyList<ImageOutcome> Outcomes, int Calls)> DispatchAsync(PartitionPage page, List<WorkItem> items)
    {
        var request = new WorkBatch { JobId = page.JobId, Spec = page.Spec, SpecHash = page.SpecHash, Items = items };
        var calls = 0;
        for (var attempt = 1; ; attempt++)
        {
            calls++;
            try
            {
                return (await GrainFactory.GetGrain<IInferenceGrain>(dispatchCounter++ % InferenceKeys).ProcessAsync(request), calls);
            }
            catch (Exception e) when (BatchGrain.IsNoInferenceSilo(e) && !cancelled)
            {
                attempt--;
                await Task.Delay(WaitForSilo);
            }
            catch (Exception e) when (attempt < MaxAttempts && !cancelled)
            {
                LogRetry(page.JobId, attempt, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt));
            }
            catch (Exception) when (cancelled)
            {
                return ([], calls);
            }
            catch (Exception e)
            {
                return (items.Select(item => new ImageOutcome
                {
                    Path = SourceMatrix.OutputRelative(page.Spec, item),
                    Identity = item.Identity,
                    Status = ImageStatus.Failed,
                    ErrorClass = "dispatch_error",
                    Message = e.Message,
                }).ToList(), calls);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Job {JobId}: partition batch attempt {Attempt} failed, retrying: {Message}")]
    private partial void LogRetry(string jobId, int attempt, string message);

    [LoggerMessage(2, LogLevel.Error, "Job {JobId}: a partition could not append to the outcomes manifest")]
    private partial void LogManifestFailed(Exception exception, string jobId);
}
