using System.Security.Cryptography;
using System.Text;
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
        var pageSize = Math.Clamp(options.PageSize, 1, 5000);

        // Enough pages for every silo that can run one, twice over, so no inference silo waits for work.
        var window = Math.Max(Math.Max(1, options.PagesInFlight), 2 * ActiveSilos());
        var listed = false;
        LogPartitioned(JobId, state.State.Counters.Discovered + ledger.Listed, pageSize, window);

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
                    await FoldFinishedPagesAsync(force: false);
                    continue;
                }

                var partition = GrainFactory.GetGrain<IPartitionGrain>(PartitionKey(page.StartToken));
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

    /// <summary>
    /// Runs one page on its partition until it answers. A lost partition (its silo died) or a failed call is simply
    /// asked again: the page's key is the same, so a partition still running it is joined, and a new one skips the
    /// outputs the lost one wrote.
    /// </summary>
    private async Task RunPartitionAsync(JobSpec spec, LedgerPage page, IPartitionGrain partition, List<WorkItem> items, PartitionOptions options)
    {
        var request = new PartitionPage
        {
            JobId = JobId,
            Spec = spec,
            SpecHash = state.State.SpecHash!,
            Items = items,
            BatchSize = Math.Max(Math.Max(1, options.BatchSize), spec.Options.BatchSize),
            BatchesInFlight = Math.Max(1, options.BatchesInFlight),
        };
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                if (deactivated || state.State.State != JobState.Running)
                {
                    return;
                }

                try
                {
                    var result = await partition.RunPageAsync(request);
                    if (deactivated)
                    {
                        return;
                    }

                    page.Complete(result.Counters, result.Cancelled);
                    notice = null;
                    return;
                }
                catch (Exception e) when (!deactivated && state.State.State == JobState.Running)
                {
                    notice = InferenceDispatcher.IsNoInferenceSilo(e) ? "waiting for an inference silo to run a partition" : notice;
                    LogPartitionRetry(JobId, attempt, e.Message);
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 500 * attempt)));
                }
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

    /// <summary>A page's partition: the job, the round and where the page starts in the listing.</summary>
    private string PartitionKey(string? startToken) =>
        $"{JobId}/{state.State.Round}/{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(startToken ?? "")))[..16]}";

    private int ActiveSilos() =>
        ServiceProvider.GetService<Orleans.Runtime.ISiloStatusOracle>()?.GetApproximateSiloStatuses(onlyActive: true).Count ?? 1;

    [LoggerMessage(10, LogLevel.Information, "Job {JobId}: {Listed} images listed; the rest goes to partition grains, {PageSize} names a page, {Window} pages in flight")]
    private partial void LogPartitioned(string jobId, long listed, int pageSize, int window);

    [LoggerMessage(11, LogLevel.Warning, "Job {JobId}: partition attempt {Attempt} failed, running the page again: {Message}")]
    private partial void LogPartitionRetry(string jobId, int attempt, string message);
}
