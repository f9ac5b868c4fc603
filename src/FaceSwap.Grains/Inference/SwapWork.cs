using System.Diagnostics;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Swapping;

namespace FaceSwap.Grains.Inference;

/// <summary>
/// One image between the fetch stage and an engine thread: the decoded target, the prepared sources, and the buffer
/// slots it holds until an engine thread takes it.
/// </summary>
internal sealed class SwapWork(WorkBatch batch, WorkItem item, string relativePath, SemaphoreSlim prefetchSlot)
{
    private SemaphoreSlim? prefetch = prefetchSlot;
    private SemaphoreSlim? decode;

    public WorkBatch Batch { get; } = batch;

    public WorkItem Item { get; } = item;

    /// <summary>The image's span, current where the image was fetched.</summary>
    public Activity? ImageSpan { get; } = Activity.Current;

    public string RelativePath { get; } = relativePath;

    /// <summary>The output's path relative to the output prefix (its extension names the format written).</summary>
    public string? OutputRelative { get; set; }

    public TargetImage? Target { get; set; }

    /// <summary>The sources to swap in, prepared before the image is queued.</summary>
    public SourceSet? Sources { get; set; }

    /// <summary>A reference job's embeddings (empty otherwise), prepared before the image is queued.</summary>
    public IReadOnlyList<float[]> References { get; set; } = [];

    public TaskCompletionSource<SwapResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void HoldsDecodeSlot(SemaphoreSlim slot) => decode = slot;

    /// <summary>Gives the slots back, once (from the engine thread that took the image, or when fetching failed).</summary>
    public void ReleaseSlots()
    {
        Interlocked.Exchange(ref decode, null)?.Release();
        Interlocked.Exchange(ref prefetch, null)?.Release();
    }
}
