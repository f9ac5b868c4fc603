using FaceSwap.Grains.Inference;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// What a running job's status says about why it is not making progress right now (<see cref="Current"/>): waiting for
/// an inference silo to run a batch or a partition, or drawing a preview's contact sheet. One per job activation; used
/// on the grain's single thread.
/// </summary>
public sealed class JobNotice
{
    /// <summary>While a batch waits because the inference silo running it was lost.</summary>
    public const string SiloLost = "waiting for an inference silo: the one running a batch was lost";

    /// <summary>While a batch waits because no inference silo is in the cluster.</summary>
    public const string NoSilo = "waiting for an inference silo: none is in the cluster";

    /// <summary>While a page waits for an inference silo to run its partition.</summary>
    public const string NoPartitionSilo = "waiting for an inference silo to run a partition";

    /// <summary>While a running preview's contact sheet is drawn.</summary>
    public const string Drawing = "drawing the preview's contact sheet";

    /// <summary>The notice now, if any.</summary>
    public string? Current { get; private set; }

    /// <summary>
    /// A batch waits for an inference silo after <paramref name="failure"/>: the notice says why. True when the job was
    /// not waiting before (no notice), so that the wait is logged once, not at every attempt.
    /// </summary>
    public bool Waiting(Exception failure)
    {
        var begins = Current is null;
        Current = failure is SiloUnavailableException ? SiloLost : NoSilo;
        return begins;
    }

    /// <summary>A partition's attempt failed with <paramref name="failure"/>: the notice says so when no inference silo could run it.</summary>
    public void PartitionFailed(Exception failure)
    {
        if (InferenceDispatcher.IsNoInferenceSilo(failure))
        {
            Current = NoPartitionSilo;
        }
    }

    /// <summary>The preview's contact sheet is being drawn.</summary>
    public void DrawingSheet() => Current = Drawing;

    /// <summary>Work made progress (a batch or page answered, the sheet drawn): nothing to say.</summary>
    public void Clear() => Current = null;
}
