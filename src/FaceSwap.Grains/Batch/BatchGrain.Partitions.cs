using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Hosting;
using FaceSwap.Grains.Inference;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// Large jobs: once a job has listed <see cref="PartitionOptions.Threshold"/> images, the rest of its listing goes to
/// partition grains a whole page at a time, so this grain handles pages, not images, and the job's rate grows with
/// the silos that run partitions. Pages join the same in-memory list as the classic path: a page is folded into the
/// persisted counters and cursor only when all of it is done, so a page run again after a lost partition counts once.
/// </summary>
public sealed partial class BatchGrain
{
    private readonly Dictionary<LedgerPage, IPartitionGrain> partitionsInFlight = [];
    private PartitionOptions? partitionOptions;

    private PartitionOptions Partitions => partitionOptions ??=
        ServiceProvider.GetService<IOptions<FaceSwapSiloOptions>>()?.Value.Partitions ?? new PartitionOptions();

    /// <summary>
    /// Whether the rest of the round goes to partitions: they are on, this is the job's first round (a retry round runs
    /// its failures the classic way), and the job has listed enough images for pages to pay.
    /// </summary>
    private bool PartitionsPay() =>
        Partitions.Threshold > 0
        && state.State.RetryList is null
        && state.State.Counters.Discovered + ledger.Listed >= Partitions.Threshold;

    /// <summary>Lists the rest of the round from <paramref name="nextToken"/> page by page and keeps a window of pages on partition grains.</summary>
    private async Task PartitionPumpAsync(JobSpec spec, string? nextToken)
    {
        var options = Partitions;
        var pageSize = PartitionPages.PageSize(options);
        var window = PartitionPages.Window(options, ActiveSilos());
        var listed = false;
        logger.LogPartitioned(JobId, state.State.Counters.Discovered + ledger.Listed, pageSize, window);

        // Keeps the window of pages on partitions full while the listing lasts.
        async Task<bool> FillAsync()
        {
            while (!listed && partitionsInFlight.Count < window)
            {
                var work = await Work.PageAsync(nextToken, pageSize);
                var page = ledger.Open(nextToken, work.NextToken);
                var items = work.Items.ToList();
                page.Listed = items.Count;
                nextToken = work.NextToken;
                listed = nextToken is null;
                if (items.Count == 0)
                {
                    await Progress.FoldFinishedAsync(force: false);
                    continue;
                }

                var partition = GrainFactory.GetGrain<IPartitionGrain>(PartitionPages.Key(JobId, state.State.Round, page.StartToken));
                partitionsInFlight[page] = partition;
                inFlight += items.Count;
                _ = RunPartitionAsync(spec, page, partition, items, options);
            }

            return false;
        }

        await RunWindowAsync(FillAsync, () => partitionsInFlight.Count == 0 && listed);
        if (!deactivated && state.State.State == JobState.Cancelled)
        {
            foreach (var partition in partitionsInFlight.Values)
            {
                _ = partition.CancelAsync();
            }
        }
    }

    /// <summary>Runs one page on its partition until it answers (<see cref="PartitionPages.RunAsync"/>) and records its counters.</summary>
    private async Task RunPartitionAsync(JobSpec spec, LedgerPage page, IPartitionGrain partition, List<WorkItem> items, PartitionOptions options)
    {
        var request = PartitionPages.Request(JobId, spec, state.State.SpecHash!, items, options);
        try
        {
            var result = await PartitionPages.RunAsync(
                partition,
                request,
                () => deactivated,
                () => state.State.State == JobState.Running,
                (attempt, e) =>
                {
                    notice.PartitionFailed(e);
                    logger.LogPartitionRetry(JobId, attempt, e.Message);
                });
            if (result is not null)
            {
                page.Complete(result.Counters, result.Cancelled);
                notice.Clear();
            }
        }
        finally
        {
            partitionsInFlight.Remove(page);
            inFlight -= items.Count;
            Wake();
            _ = SettleIfDrainedAsync();
        }
    }

    private int ActiveSilos() =>
        ServiceProvider.GetService<Orleans.Runtime.ISiloStatusOracle>()?.GetApproximateSiloStatuses(onlyActive: true).Count ?? 1;
}
