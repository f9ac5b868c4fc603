using FaceSwap.Abstractions.Jobs;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Batch;

/// <summary>A retry round's list of the failed images' paths, one a line, written from the outcomes' index a page at a time.</summary>
public static class RetryList
{
    /// <summary>Writes the list at <paramref name="path"/> (replacing what an interrupted earlier try left there).</summary>
    public static async Task WriteAsync(IBlobStore store, string path, OutcomeIndex index, CancellationToken cancellationToken = default)
    {
        const int Page = 1000;
        await store.DeleteAsync(path, cancellationToken);
        var failed = index.Count(ImageStatus.Failed);
        for (long start = 0; start < failed; start += Page)
        {
            var page = await index.PageAsync(ImageStatus.Failed, review: false, start, Page, cancellationToken);
            await store.AppendLinesAsync(path, page.Select(o => o.Path), cancellationToken);
        }
    }
}
