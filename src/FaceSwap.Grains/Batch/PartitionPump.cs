using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Hosting;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// Large jobs: once a job has listed <see cref="PartitionOptions.Threshold"/> images, the rest of its listing goes to
/// partition grains a whole page at a time, so the BatchGrain handles pages, not images, and the job's rate grows with
/// the silos that run partitions. Pages join the same ledger as the classic path (<see cref="ItemPump"/>): a page is
/// folded into the persisted counters and cursor only when all of it is done, so a page run again after a lost
/// partition counts once. One per job activation.
/// </summary>
/// <param name="host">The job's activation.</param>
/// <param name="options">The silo's partition options.</param>
/// <param name="partitionFor">The partition grain of a key (<see cref="PartitionPages.Key"/>).</param>
/// <param name="activeSilos">How many silos are active now.</param>
public sealed class PartitionPump(PumpHost host, PartitionOptions options, Func<string, IPartitionGrain> partitionFor, Func<int> activeSilos)
{
    private readonly Dictionary<LedgerPage, IPartitionGrain> inFlight = [];

    /// <summary>
    /// Whether the rest of the round goes to partitions: they are on, this is the job's first round (a retry round runs
    /// its failures the classic way), and the job has listed enough images for pages to pay.
    /// </summary>
    public bool Pays() =>
        options.Threshold > 0
        && host.State().RetryList is null
        && host.State().Counters.Discovered + host.Ledger.Listed >= options.Threshold;

    /// <summary>Lists the rest of the round from <paramref name="nextToken"/> page by page and keeps a window of pages on partition grains.</summary>
    public async Task RunAsync(string? nextToken)
    {
        var spec = host.State().Spec!;
        var pageSize = PartitionPages.PageSize(options);
        var window = PartitionPages.Window(options, activeSilos());
        var listed = false;
        host.Logger.LogPartitioned(host.JobId, host.State().Counters.Discovered + host.Ledger.Listed, pageSize, window);

        // Keeps the window of pages on partitions full while the listing lasts.
        async Task<bool> FillAsync()
        {
            while (!listed && inFlight.Count < window)
            {
                var work = await host.Work().PageAsync(nextToken, pageSize);
                var page = host.Ledger.Open(nextToken, work.NextToken);
                var items = work.Items.ToList();
                page.Listed = items.Count;
                nextToken = work.NextToken;
                listed = nextToken is null;
                if (items.Count == 0)
                {
                    await host.FoldAsync(false);
                    continue;
                }

                var partition = partitionFor(PartitionPages.Key(host.JobId, host.State().Round, page.StartToken));
                inFlight[page] = partition;
                host.Activity.InFlight += items.Count;
                _ = RunPageAsync(spec, page, partition, items);
            }

            return false;
        }

        await PumpWindow.RunAsync(host, FillAsync, () => inFlight.Count == 0 && listed);
        if (!host.Activity.Deactivated && host.State().State == JobState.Cancelled)
        {
            foreach (var partition in inFlight.Values)
            {
                _ = partition.CancelAsync();
            }
        }
    }

    /// <summary>Runs one page on its partition until it answers (<see cref="PartitionPages.RunAsync"/>) and records its counters.</summary>
    private async Task RunPageAsync(JobSpec spec, LedgerPage page, IPartitionGrain partition, List<WorkItem> items)
    {
        var request = PartitionPages.Request(host.JobId, spec, host.State().SpecHash!, items, options);
        try
        {
            var result = await PartitionPages.RunAsync(
                partition,
                request,
                () => host.Activity.Deactivated,
                () => host.State().State == JobState.Running,
                (attempt, e) =>
                {
                    host.Notice.PartitionFailed(e);
                    host.Logger.LogPartitionRetry(host.JobId, attempt, e.Message);
                });
            if (result is not null)
            {
                page.Complete(result.Counters, result.Cancelled);
                host.Notice.Clear();
            }
        }
        finally
        {
            inFlight.Remove(page);
            host.Returned(items.Count);
        }
    }
}
