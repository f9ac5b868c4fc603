using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Diagnostics;
using FaceSwap.Grains.Placement;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;

namespace FaceSwap.Grains.Inference;

/// <summary>
/// Stateless worker on inference silos only: hands batches to the silo's engine service and awaits the outcomes.
/// Api silos also remove this class from their grain types, so the engine can never be placed there.
/// A silo built for load testing (`faceswap bench --engine null`) has a <see cref="NullEngine"/>, which then takes the work.
/// </summary>
[StatelessWorker]
[InferenceSiloPlacement]
public sealed class InferenceGrain(EngineService engine, IServiceProvider services) : Grain, IInferenceGrain
{
    private readonly NullEngine? nullEngine = services.GetService<NullEngine>();

    /// <inheritdoc />
    public Task<SourceCheck> CheckSourceAsync(JobSpec spec) => nullEngine?.CheckSourceAsync(spec) ?? engine.CheckSourceAsync(spec);

    /// <inheritdoc />
    public Task<IReadOnlyList<ImageOutcome>> ProcessAsync(WorkBatch batch)
    {
        FaceSwapTelemetry.BatchSize.Record(batch.Items.Count);
        return nullEngine?.ProcessAsync(batch) ?? engine.ProcessAsync(batch, CancellationToken.None);
    }

    /// <inheritdoc />
    public Task<ThumbnailResult> ThumbnailAsync(string path, int longest, long maxPixels, long maxBytes) =>
        engine.ThumbnailAsync(path, longest, maxPixels, maxBytes);
}
