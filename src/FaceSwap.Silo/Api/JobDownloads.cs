using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using FaceSwap.Storage;

namespace FaceSwap.Silo.Api;

/// <summary>What a job's downloads are made of: its latest outcomes, and the store path of each output it wrote.</summary>
public static class JobDownloads
{
    /// <summary>
    /// The latest outcome of each image of the job, read as <c>/results</c> reads them: the one place the downloads read
    /// outcomes, so a change of that reading (paged reads) is made here once.
    /// </summary>
    public static async IAsyncEnumerable<ImageOutcome> OutcomesAsync(IBlobStore store, JobSpec spec, string jobId,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Through the index, a page at a time: the latest outcome of each image, in the order /results shows them.
        var index = await OutcomeIndex.OpenAsync(store, JobFiles.Outcomes(spec, jobId), TimeSpan.Zero, cancellationToken);
        await foreach (var outcome in index.EachAsync(cancellationToken: cancellationToken))
        {
            yield return outcome;
        }
    }

    /// <summary>
    /// The output an outcome stands for, relative to the output prefix, or null when the image has none: swapped, left as
    /// it was already (skipped), or copied untouched (copy-unswapped); a failed image or one without a face has none.
    /// </summary>
    public static string? OutputOf(ImageOutcome outcome) =>
        outcome.Status is ImageStatus.Ok or ImageStatus.Skipped || outcome.Untouched ? outcome.Output ?? outcome.Path : null;

    /// <summary>Whether an outcome belongs in the failures list: failed, or no face found.</summary>
    public static bool IsFailure(ImageOutcome outcome) => outcome.Status is ImageStatus.Failed or ImageStatus.NoFace;
}
