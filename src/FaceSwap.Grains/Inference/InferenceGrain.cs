using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Diagnostics;
using FaceSwap.Grains.Placement;
using FaceSwap.Grains.Thumbnails;
using Orleans.Concurrency;

namespace FaceSwap.Grains.Inference;

/// <summary>
/// Stateless worker on inference silos only: hands batches to the silo's <see cref="IInferenceEngine"/> (the one its
/// services registered) and awaits the outcomes. Api silos also remove this class from their grain types, so the
/// engine can never be placed there.
/// </summary>
[StatelessWorker]
[InferenceSiloPlacement]
public sealed class InferenceGrain(IInferenceEngine engine, WholeImageThumbnails thumbnails, ContactSheets sheets) : Grain, IInferenceGrain
{
    /// <inheritdoc />
    public Task<SourceCheck> CheckSourceAsync(JobSpec spec) => engine.CheckSourceAsync(spec);

    /// <inheritdoc />
    public Task<IReadOnlyList<ImageOutcome>> ProcessAsync(WorkBatch batch)
    {
        FaceSwapTelemetry.BatchSize.Record(batch.Items.Count);
        return engine.ProcessAsync(batch, CancellationToken.None);
    }

    /// <inheritdoc />
    public Task<ThumbnailResult> ThumbnailAsync(string path, int longest, long maxPixels, long maxBytes) =>
        thumbnails.ThumbnailAsync(path, longest, maxPixels, maxBytes);

    /// <inheritdoc />
    public Task<int> ContactSheetAsync(string jobId, JobSpec spec) => sheets.DrawAsync(jobId, spec);
}
