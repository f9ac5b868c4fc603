using FaceSwap.Abstractions.Jobs;

namespace FaceSwap.Grains.Inference;

/// <summary>
/// What an inference silo's <see cref="InferenceGrain"/> hands its work to, chosen where the silo's services are
/// registered: the face engine (<see cref="EngineService"/>) on every inference silo; a load test registers its null
/// engine in its place.
/// </summary>
public interface IInferenceEngine
{
    /// <summary>Checks that a job's sources (and the models it selects) are usable, with their hashes for the audit log.</summary>
    Task<SourceCheck> CheckSourceAsync(JobSpec spec);

    /// <summary>Processes every item of a batch: one outcome per item, in order, never an exception.</summary>
    Task<IReadOnlyList<ImageOutcome>> ProcessAsync(WorkBatch batch, CancellationToken cancellationToken);
}
