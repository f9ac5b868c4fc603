using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Inference;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// A round's images the classic way: lists the work page by page and keeps a bounded window of them (the spec's
/// prefetch) in flight on inference grains in batches, appends their outcomes to the job's manifest and records them on
/// their pages. Once partitions pay (<paramref name="partitionsPay"/>), the window drains and the rest of the round is
/// handed over. One per job activation.
/// </summary>
/// <param name="host">The job's activation.</param>
/// <param name="dispatcher">The activation's inference calls.</param>
/// <param name="store">Where the outcomes manifest is.</param>
/// <param name="partitionsPay">Whether the rest of the round goes to partitions (<see cref="PartitionPump.Pays"/>).</param>
public sealed class ItemPump(PumpHost host, InferenceDispatcher dispatcher, IBlobStore store, Func<bool> partitionsPay)
{
    /// <summary>
    /// Runs the round from the persisted cursor until it ends, stops or hands over: then <c>ToPartitions</c> is true and
    /// <c>NextToken</c> is where the partitions go on listing.
    /// </summary>
    public async Task<(bool ToPartitions, string? NextToken)> RunAsync()
    {
        var state = host.State();
        var spec = state.Spec!;
        var window = Math.Max(1, spec.Options.Prefetch);
        var batchSize = Math.Clamp(spec.Options.BatchSize, 1, window);
        var pageSize = Math.Max(window * 2, 32);
        var nextToken = state.ResumeToken;
        var listed = state.ListingComplete;
        var buffer = new Queue<(WorkItem Item, LedgerPage Page)>();
        var activity = host.Activity;

        // Fills the window of images in flight; true once the rest of the round goes to partitions instead.
        async Task<bool> FillAsync()
        {
            while (activity.InFlight < window && (buffer.Count > 0 || !listed))
            {
                if (buffer.Count == 0 && partitionsPay())
                {
                    // A large job: the classic window drains, then the rest goes to partition grains.
                    return activity.InFlight == 0;
                }

                if (buffer.Count == 0)
                {
                    var page = await host.Work().PageAsync(nextToken, pageSize);
                    var tracked = host.Ledger.Open(nextToken, page.NextToken);
                    foreach (var item in page.Items)
                    {
                        buffer.Enqueue((item, tracked));
                        tracked.Listed++;
                    }

                    nextToken = page.NextToken;
                    listed = nextToken is null;
                    if (tracked.Listed == 0)
                    {
                        await host.FoldAsync(false);
                    }

                    continue;
                }

                var batch = new List<(WorkItem Item, LedgerPage Page)>();
                while (batch.Count < batchSize && buffer.Count > 0 && activity.InFlight + batch.Count < window)
                {
                    batch.Add(buffer.Dequeue());
                }

                activity.InFlight += batch.Count;
                _ = DispatchAsync(spec, batch);
            }

            return false;
        }

        var toPartitions = await PumpWindow.RunAsync(host, FillAsync, () => activity.InFlight == 0 && buffer.Count == 0 && listed);
        return (toPartitions, nextToken);
    }

    /// <summary>Runs one batch on inference grains (failed images once it cannot run), appends its outcomes and records them on their pages.</summary>
    private async Task DispatchAsync(JobSpec spec, List<(WorkItem Item, LedgerPage Page)> batch)
    {
        IReadOnlyList<ImageOutcome> outcomes;
        var request = new WorkBatch { JobId = host.JobId, Spec = spec, SpecHash = host.State().SpecHash!, Items = batch.Select(b => b.Item).ToList(), Run = host.Activity.Run };
        try
        {
            outcomes = await dispatcher.ProcessAsync(request, host.Activity.Stopping);
            host.Notice.Clear();
        }
        catch (OperationCanceledException) when (host.Activity.Deactivated)
        {
            return;
        }
        catch (Exception e)
        {
            outcomes = InferenceDispatcher.Failed(spec, batch.Select(b => b.Item), e);
        }

        if (host.Activity.Deactivated)
        {
            return;
        }

        try
        {
            await store.AppendLinesAsync(JobFiles.Outcomes(spec, host.JobId), outcomes.Select(JobOutcomes.ToLine));
        }
        catch (Exception e)
        {
            host.Logger.LogManifestFailed(e, host.JobId);
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Page.Record(outcomes[i]);
        }

        host.Returned(batch.Count);
    }
}
