namespace FaceSwap.Grains.Hosting;

/// <summary>Settings of a FaceSwap silo (configuration section "FaceSwap").</summary>
public sealed class FaceSwapSiloOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "FaceSwap";

    /// <summary>api, inference or both.</summary>
    public string Role { get; set; } = Placement.SiloRoles.Both;

    /// <summary>Blob storage: "local", "local:/root", a connection string or a blob service URI.</summary>
    public string Storage { get; set; } = "local";

    /// <summary>Model folder; null resolves as the CLI does (FACESWAP_MODELS, the repository's models/).</summary>
    public string? ModelsPath { get; set; }

    /// <summary>Concurrent engine pipelines on this silo (dedicated threads); 0 = one per core.</summary>
    public int Concurrency { get; set; }

    /// <summary>
    /// Images this silo reads ahead of its engine threads (the prefetch buffer); of those, at most one per engine
    /// thread is also decoded ahead.
    /// </summary>
    public int Prefetch { get; set; } = 16;

    /// <summary>Most items (images or faces) per model call under dynamic batching; 1 turns batching off.</summary>
    public int ModelBatch { get; set; } = 8;

    /// <summary>
    /// How long, in milliseconds, a model call may wait for other engine threads' items to fill its batch. 0 (the
    /// default, right for CPUs) never waits; a GPU silo gains from a few milliseconds.
    /// </summary>
    public double ModelBatchWaitMs { get; set; }

    /// <summary>Threads per ONNX Runtime operator; 1 keeps pipelines from oversubscribing the cores.</summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>Where ONNX Runtime runs the models: cpu, cuda or tensorrt (the last two need the GPU build, -p:OnnxRuntimeFlavor=Gpu).</summary>
    public string ExecutionProvider { get; set; } = "cpu";

    /// <summary>Blob-drop triggers (manifests dropped into the inbox start jobs); run on api silos.</summary>
    public BlobDrop.BlobDropOptions Drop { get; set; } = new();

    /// <summary>
    /// The most pixels an image may have on this silo (default 64 MP): the engine refuses larger images from their
    /// header, jobs may set a lower <c>options.maxPixels</c> but never a higher one, and thumbnails keep to it too.
    /// </summary>
    public long MaxPixels { get; set; } = FaceSwap.Engine.Imaging.ImageCodec.DefaultMaxPixels;

    /// <summary>Trust and safety: consent requirement and the audit log (section FaceSwap:Safety).</summary>
    public Safety.SafetyOptions Safety { get; set; } = new();

    /// <summary>
    /// Repeat-image cache: how many decoded and analysed targets (by content hash) the silo keeps, at most 256 MB of
    /// pixels; 0 turns it off.
    /// </summary>
    public int RepeatImageCacheEntries { get; set; } = 64;

    /// <summary>Partition grains of large jobs (section FaceSwap:Partitions).</summary>
    public PartitionOptions Partitions { get; set; } = new();

    /// <summary>Effective pipeline count.</summary>
    public int EffectiveConcurrency => Concurrency > 0 ? Concurrency : Environment.ProcessorCount;

    /// <summary>The most engine pipelines a silo runs (each is a thread with a decoded image ahead of it).</summary>
    public const int MaxConcurrency = 256;

    /// <summary>The largest per-silo prefetch buffer.</summary>
    public const int MaxPrefetch = 4096;
}
