using System.Security.Cryptography;
using System.Text;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Hosting;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// A large job's pages on partition grains: how large a page is, how many are in flight, which partition runs a page,
/// the request it gets, and asking it until it answers. The BatchGrain decides when pages go out and folds what comes back.
/// </summary>
public static class PartitionPages
{
    /// <summary>How many names a page lists.</summary>
    public static int PageSize(PartitionOptions options) => Math.Clamp(options.PageSize, 1, 5000);

    /// <summary>Enough pages for every silo that can run one, twice over, so no inference silo waits for work.</summary>
    public static int Window(PartitionOptions options, int activeSilos) => Math.Max(Math.Max(1, options.PagesInFlight), 2 * activeSilos);

    /// <summary>A page's partition: the job, the round and where the page starts in the listing.</summary>
    public static string Key(string jobId, int round, string? startToken) =>
        $"{jobId}/{round}/{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(startToken ?? "")))[..16]}";

    /// <summary>What a partition gets for one page of <paramref name="items"/>.</summary>
    public static PartitionPage Request(string jobId, JobSpec spec, string specHash, List<WorkItem> items, PartitionOptions options) => new()
    {
        JobId = jobId,
        Spec = spec,
        SpecHash = specHash,
        Items = items,
        BatchSize = Math.Max(Math.Max(1, options.BatchSize), spec.Options.BatchSize),
        BatchesInFlight = Math.Max(1, options.BatchesInFlight),
    };

    /// <summary>
    /// Runs one page on its partition until it answers. A lost partition (its silo died) or a failed call is simply
    /// asked again: the page's key is the same, so a partition still running it is joined, and a new one skips the
    /// outputs the lost one wrote. Null once the job stopped running (<paramref name="running"/>) or its activation
    /// went (<paramref name="deactivated"/>); <paramref name="onRetry"/> hears each failed attempt (from 1).
    /// </summary>
    public static async Task<PageResult?> RunAsync(IPartitionGrain partition, PartitionPage request, Func<bool> deactivated, Func<bool> running, Action<int, Exception> onRetry)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (deactivated() || !running())
            {
                return null;
            }

            try
            {
                var result = await partition.RunPageAsync(request);
                return deactivated() ? null : result;
            }
            catch (Exception e) when (!deactivated() && running())
            {
                onRetry(attempt, e);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 500 * attempt)));
            }
        }
    }
}
