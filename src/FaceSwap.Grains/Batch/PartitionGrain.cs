using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Inference;
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
    private Task<PageResult>? run;
    private List<string> pendingLines = [];
    private Task? appending;
    private bool cancelled;

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

        // The BatchGrain's retry rules, until the page is cancelled.
        var dispatcher = new InferenceDispatcher(GrainFactory, new DispatchRules
        {
            KeepWaiting = () => !cancelled,
            KeepRetrying = () => !cancelled,
            OnRetry = (attempt, e) => LogRetry(page.JobId, attempt, e.Message),
        });
        var manifest = JobFiles.Outcomes(page.Spec, page.JobId);

        // Workers share the counters without locks: every continuation runs on the grain's single thread.
        async Task WorkAsync()
        {
            while (!cancelled && next < batches)
            {
                var first = next++ * batchSize;
                var items = page.Items.Skip(first).Take(batchSize).ToList();
                var outcomes = await DispatchAsync(dispatcher, page, items);
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

        return new PageResult { Counters = counters, Cancelled = cancelled && counters.Finished < page.Items.Count, InferenceCalls = dispatcher.Calls };
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

    /// <summary>One batch on inference grains; nothing once the page is cancelled, failed images once it cannot run.</summary>
    private async Task<IReadOnlyList<ImageOutcome>> DispatchAsync(InferenceDispatcher dispatcher, PartitionPage page, List<WorkItem> items)
    {
        try
        {
            return await dispatcher.ProcessAsync(new WorkBatch { JobId = page.JobId, Spec = page.Spec, SpecHash = page.SpecHash, Items = items });
        }
        catch (Exception) when (cancelled)
        {
            return [];
        }
        catch (Exception e)
        {
            return InferenceDispatcher.Failed(page.Spec, items, e);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Job {JobId}: partition batch attempt {Attempt} failed, retrying: {Message}")]
    private partial void LogRetry(string jobId, int attempt, string message);

    [LoggerMessage(2, LogLevel.Error, "Job {JobId}: a partition could not append to the outcomes manifest")]
    private partial void LogManifestFailed(Exception exception, string jobId);
}
