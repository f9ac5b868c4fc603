using System.Globalization;
using System.Text;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Batch;

/// <summary>One page of a round's work: the work items of the input images it listed, and the cursor after it.</summary>
/// <param name="Items">The work items (one per identity of each input image in a matrix job).</param>
/// <param name="NextToken">The cursor of the next page; null when this is the round's last.</param>
public sealed record WorkPage(IReadOnlyList<WorkItem> Items, string? NextToken);

/// <summary>Where a job's round finds its work, page by page from a cursor that the job persists.</summary>
public interface IWorkSource
{
    /// <summary>The page at <paramref name="token"/> (null: the first), of at most <paramref name="pageSize"/> listed names.</summary>
    Task<WorkPage> PageAsync(string? token, int pageSize);
}

/// <summary>The work sources of a job's rounds.</summary>
public static class WorkSources
{
    /// <summary>
    /// The input prefix in the first round (a preview's chosen images of it, for a preview job); the retry list in a
    /// retry round (<paramref name="retryList"/> set).
    /// </summary>
    public static IWorkSource For(IBlobStore store, JobSpec spec, string? retryList) =>
        retryList is not null ? new RetryWorkSource(store, spec, retryList)
        : spec.Options.Preview is int preview ? new PreviewWorkSource(store, spec, preview)
        : new PrefixWorkSource(store, spec);

    /// <summary>The work items of the listed blobs that are input images.</summary>
    internal static WorkPage Page(JobSpec spec, IEnumerable<BlobItemInfo> blobs, string? nextToken, bool retryRound) =>
        new(blobs.Where(b => JobFiles.IsInputImage(spec, b.Path)).SelectMany(b => SourceMatrix.WorkItems(spec, b, retryRound)).ToList(), nextToken);
}

/// <summary>A first round's work: the input prefix, listed with the store's own continuation token.</summary>
public sealed class PrefixWorkSource(IBlobStore store, JobSpec spec) : IWorkSource
{
    /// <inheritdoc />
    public async Task<WorkPage> PageAsync(string? token, int pageSize)
    {
        var listing = await store.ListAsync(spec.Input, token, pageSize);
        return WorkSources.Page(spec, listing.Items, listing.ContinuationToken, retryRound: false);
    }
}

/// <summary>
/// A retry round's work: the round's list of failed paths (one a line), whose cursor is a line number; each item gets
/// its input's current version, so that a file replaced since the failure is read anew.
/// </summary>
public sealed class RetryWorkSource(IBlobStore store, JobSpec spec, string list) : IWorkSource
{
    private string[]? paths;

    /// <inheritdoc />
    public async Task<WorkPage> PageAsync(string? token, int pageSize)
    {
        paths ??= Encoding.UTF8.GetString(await store.ReadAllBytesAsync(list, long.MaxValue)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var start = token is null ? 0 : int.Parse(token, CultureInfo.InvariantCulture);
        var end = Math.Min(paths.Length, start + pageSize);
        var items = new List<BlobItemInfo>();
        foreach (var relative in paths[start..end])
        {
            var path = spec.Input + relative;
            items.Add(await store.GetPropertiesAsync(SourceMatrix.InputPath(spec, path)) is { } found ? found with { Path = path } : new BlobItemInfo(path, 0, "", DateTimeOffset.MinValue));
        }

        return WorkSources.Page(spec, items, end < paths.Length ? end.ToString(CultureInfo.InvariantCulture) : null, retryRound: true);
    }
}
