using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Swapping;
using FaceSwap.Grains.Batch;
using FaceSwap.Grains.Diagnostics;
using FaceSwap.Grains.Hosting;
using FaceSwap.Grains.Safety;
using FaceSwap.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace FaceSwap.Grains.Inference;

/// <summary>
/// The per-silo engine: models loaded once, a bounded queue, and a fixed number of dedicated threads that read,
/// swap and write images. Grains hand work to it and await the result, so no grain turn ever runs the engine and
/// the Orleans scheduler is never blocked.
/// </summary>
public sealed partial class EngineService : IDisposable
{
    private readonly IBlobStore store;
    private readonly FaceSwapSiloOptions options;
    private readonly ILogger<EngineService> logger;
    private readonly string siloName;
    private readonly Lazy<FaceEngine> engine;
    private readonly Lazy<FaceSwap.Engine.Neural.NeuralModels> neural;
    private readonly Channel<SwapWork> queue;
    private readonly SemaphoreSlim prefetched;
    private readonly SemaphoreSlim decodedAhead;
    private readonly Thread[] workers;
    private readonly ConcurrentDictionary<string, Lazy<SourceFace>> sources = new();
    private readonly ConcurrentDictionary<string, Lazy<IReadOnlyList<float[]>>> references = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly FaceSwapTelemetry.EngineGauges gauges;

    /// <summary>Creates the service and starts its worker threads.</summary>
    public EngineService(IBlobStore store, IOptions<FaceSwapSiloOptions> options, ILocalSiloDetails silo, ILogger<EngineService> logger)
    {
        this.store = store;
        this.options = options.Value;
        this.logger = logger;
        siloName = silo.Name;
        engine = new Lazy<FaceEngine>(LoadEngine, LazyThreadSafetyMode.ExecutionAndPublication);
        neural = NeuralJobs.Loader(this.options);
        var concurrency = this.options.EffectiveConcurrency;
        queue = Channel.CreateUnbounded<SwapWork>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
        prefetched = new SemaphoreSlim(Math.Max(1, this.options.Prefetch));
        decodedAhead = new SemaphoreSlim(concurrency);
        gauges = FaceSwapTelemetry.RegisterEngine(siloName, () => queue.Reader.Count, logger);
        workers = Enumerable.Range(0, concurrency).Select(i => new Thread(WorkLoop) { IsBackground = true, Name = $"faceswap-engine-{i}" }).ToArray();
        foreach (var worker in workers)
        {
            worker.Start();
        }
    }

    /// <summary>Whether the models are loaded (readiness).</summary>
    public bool ModelsLoaded => engine.IsValueCreated;

    /// <summary>Why the models could not be loaded (readiness reports its code), or null while none failed.</summary>
    public EngineLoadFailure? LoadFailure { get; private set; }

    /// <summary>Loads the models now, if they are not loaded yet.</summary>
    public void LoadModels() => _ = engine.Value;

    /// <summary>Images processed by this silo since it started.</summary>
    public long Processed => Interlocked.Read(ref processed);

    private long processed;

    /// <summary>Checks that a spec's source face is usable, preparing (and caching) it.</summary>
    public async Task<SourceCheck> CheckSourceAsync(JobSpec spec)
    {
        // A set's or matrix's folders are listed once per check: the photos checked are the photos the audit hashes.
        var sources = new Lazy<Task<IReadOnlyList<SourceIdentity>>>(() => SourceMatrix.ResolveAsync(store, spec));
        try
        {
            var properties = await store.GetPropertiesAsync(spec.Source)
                ?? throw new FaceSwapException(FaceSwapErrorKind.NoFace, $"source face '{spec.Source}' does not exist");
            // Loading public models can take seconds: off the grain scheduler, like the source preparation.
            if (await Task.Factory.StartNew(() => NeuralJobs.Check(neural, spec.Options), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default) is { } unusable)
            {
                return await WithSourceHashesAsync(unusable, spec, sources);
            }

            await Task.Factory.StartNew(() => GetSource(spec, properties.ETag), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            if ((await CheckSourceSetsAsync(spec, sources) ?? await CheckReferencesAsync(spec)) is { } refused)
            {
                return await WithSourceHashesAsync(refused, spec, sources);
            }

            return await WithSourceHashesAsync(new SourceCheck(true, null, null), spec, sources);
        }
        catch (FaceSwapException e)
        {
            return await WithSourceHashesAsync(new SourceCheck(false, $"source face '{spec.Source}': {e.Message}", e.Code), spec, sources);
        }
        catch (Exception e) when (e is IOException or InvalidBlobPathException)
        {
            return new SourceCheck(false, $"source face '{spec.Source}': {e.Message}", "storage_error");
        }
        catch (FaceSwap.Engine.Neural.ExecutionProviderUnavailableException e)
        {
            // This silo's engine does not load on the provider it was told to use (its readiness says so): the job is
            // refused with the code, as a public model on an unavailable provider is, and never runs on another provider.
            return await WithSourceHashesAsync(new SourceCheck(false, NeuralJobs.ErrorPrefix + e.Message, NeuralJobs.ProviderUnavailable) { Field = JobErrorFields.Options }, spec, sources);
        }
    }

    /// <summary>
    /// Reference mode: every reference must show a usable face. The error names the reference and starts with
    /// "reference face", which the API turns into a 422 naming options.references.
    /// </summary>
    private async Task<SourceCheck?> CheckReferencesAsync(JobSpec spec)
    {
        if (spec.Options.Faces != FaceMode.Reference)
        {
            return null;
        }

        foreach (var path in spec.Options.References ?? [])
        {
            try
            {
                var bytes = await store.ReadAllBytesAsync(path, spec.Options.MaxFileBytes);
                await Task.Factory.StartNew(() => engine.Value.PrepareReference(bytes), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
            catch (FaceSwapException e)
            {
                return new SourceCheck(false, $"{ReferenceErrorPrefix} '{path}': {e.Message}", e.Code) { Field = JobErrorFields.References };
            }
            catch (Exception e) when (e is IOException or InvalidBlobPathException or BlobNotFoundException or BlobTooLargeException)
            {
                return new SourceCheck(false, $"{ReferenceErrorPrefix} '{path}': {e.Message}", Classify(e)) { Field = JobErrorFields.References };
            }
        }

        return null;
    }

    /// <summary>How a refused reference's error starts.</summary>
    public const string ReferenceErrorPrefix = "reference face";

    /// <summary>
    /// Processes every item of a batch; one outcome per item, never an exception. Each image goes through three
    /// stages that overlap across images: fetch (output check, read and decode, asynchronous and bounded by the
    /// prefetch buffer), swap (the engine threads), and write (asynchronous, off the engine threads).
    /// </summary>
    public async Task<IReadOnlyList<ImageOutcome>> ProcessAsync(WorkBatch batch, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping.Token);
        var parent = Activity.Current?.Context ?? default;

        // Off the calling grain's scheduler: fetching and decoding must never run in a grain turn.
        return await Task.Run(() => Task.WhenAll(batch.Items.Select(item =>
            gauges.RunAsync(parent, batch, item, () => ProcessAsync(batch, item, linked.Token)))), CancellationToken.None);
    }

    private async Task<ImageOutcome> ProcessAsync(WorkBatch batch, WorkItem item, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var relative = SourceMatrix.OutputRelative(batch.Spec, item);
        var outputRelative = OutputNames.For(batch.Spec, relative);
        var outcome = new ImageOutcome { Path = relative, Output = outputRelative == relative ? null : outputRelative, Silo = siloName, Identity = item.Identity };
        byte[]? bytes = null;
        try
        {
            // Photo formats the engine does not read are listed so they appear here, refused by name before a read.
            if (ImageCodec.UnreadablePhotoExtensions.Contains(Path.GetExtension(relative)))
            {
                throw new FaceSwapException(FaceSwapErrorKind.UnsupportedFormat,
                    $"{Path.GetExtension(relative)} files are not read: convert the photo to JPEG, PNG, WebP, HEIC or AVIF");
            }

            var outputPath = batch.Spec.Output + outputRelative;
            var timer = new StageTimer();
            SwapResult result;
            await prefetched.WaitAsync(cancellationToken).ConfigureAwait(false);
            var request = new SwapWork(batch, item, relative, prefetched);
            try
            {
                IReadOnlyDictionary<string, string>? existing;
                using (timer.Time("read"))
                {
                    existing = await store.GetMetadataAsync(outputPath, cancellationToken).ConfigureAwait(false);
                }

                if (OutputMetadata.Matches(existing, item.ETag, batch.SpecHash))
                {
                    return outcome with { Status = ImageStatus.Skipped, Milliseconds = Elapsed(started) };
                }

                // A file FaceSwap did not write (someone's photo, an edited output) is never replaced unless the job says so.
                if (existing is not null && !OutputMetadata.IsOurs(existing) && !batch.Spec.Options.Overwrite
                    && !await CarriesJobMarkAsync(outputPath, cancellationToken).ConfigureAwait(false))
                {
                    return outcome with
                    {
                        Status = ImageStatus.Skipped,
                        ErrorClass = OutputMetadata.NotOurs,
                        Message = "a file that FaceSwap did not write is at the output path; it is kept (the overwrite option replaces it)",
                        Milliseconds = Elapsed(started),
                    };
                }

                using (timer.Time("read"))
                {
                    bytes = await store.ReadAllBytesAsync(item.Path, batch.Spec.Options.MaxFileBytes, cancellationToken).ConfigureAwait(false);
                    FaceSwapTelemetry.BytesRead.Add(bytes.Length);
                }

                // The job's own pixel limit, from the header before any decode (the engine holds only the silo's
                // limit, which a job may lower but never raise); a file of another format than its name still says so first.
                ImageCodec.CheckContentMatchesName(bytes, relative);
                ImageLimits.RefuseOverLimit(bytes, Math.Min(batch.Spec.Options.MaxPixels, options.MaxPixels));

                // Decoding ahead is bounded separately (decoded images are large): at most one waiting per engine thread.
                await decodedAhead.WaitAsync(cancellationToken).ConfigureAwait(false);
                request.HoldsDecodeSlot(decodedAhead);
                request.Target = engine.Value.Prepare(bytes, relative, RepeatCache, decodeAhead: true);
                request.OutputRelative = outputRelative;
                await queue.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
                result = await request.Completion.Task.ConfigureAwait(false);
            }
            finally
            {
                request.ReleaseSlots();
                request.Target?.Dispose();
            }

            if (batch.Spec.Options.CopyUnswapped && !result.Faces.Any(f => f.Swapped))
            {
                return await CopyUntouchedAsync(batch, item, relative, bytes, outcome with
                {
                    Status = ImageStatus.Ok,
                    FacesSkipped = result.Faces.Count,
                    SkipReasons = result.Faces.Count == 0 ? null : result.Faces.GroupBy(f => f.Reason ?? "unselected").ToDictionary(g => g.Key, g => g.Count()),
                    CacheHit = result.CacheHit,
                }, started, cancellationToken).ConfigureAwait(false);
            }

            using (timer.Time("write"))
            {
                var metadata = new Dictionary<string, string>
                {
                    [OutputMetadata.InputETag] = item.ETag,
                    [OutputMetadata.SpecHash] = batch.SpecHash,
                    [OutputMetadata.JobId] = batch.JobId,
                };
                if (result.Marked)
                {
                    metadata[OutputMetadata.Generated] = "trainedAlgorithmicMedia";
                }

                await store.WriteAsync(outputPath, result.Output, ContentType(outputRelative), metadata, cancellationToken).ConfigureAwait(false);
                FaceSwapTelemetry.BytesWritten.Add(result.Output.Length);
            }

            var skipped = result.Faces.Where(f => !f.Swapped).ToList();
            var measured = result.Faces.Where(f => f.Swapped && f.SimilarityAfter is not null).Select(f => f.SimilarityAfter!.Value).ToList();
            var faces = FaceOutcomes.Of(result.Faces);
            var stages = result.TimingsMs.Concat(timer.Totals).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => Math.Round(g.Sum(kv => kv.Value), 1));
            return outcome with
            {
                Status = ImageStatus.Ok,
                Faces = result.Faces.Count(f => f.Swapped),
                FacesSkipped = skipped.Count,
                SkipReasons = skipped.Count == 0 ? null : skipped.GroupBy(f => f.Reason ?? "unselected").ToDictionary(g => g.Key, g => g.Count()),
                NearestSkippedDistance = skipped.Where(f => f.Reason == SkipReasons.NotReference).Min(f => f.ReferenceDistance),
                Similarity = measured.Count > 0 ? MathF.Round(measured.Average(), 4) : null,
                FaceOutcomes = faces.Count > 0 ? faces : null,
                FacesLost = faces.Count(f => f.Similarity is null),
                FacesToReview = faces.Count(f => f.NeedsReview),
                SourcesUsed = result.Faces.Any(f => f.Source is not null) ? result.Faces.Where(f => f.Swapped).Select(f => f.Source ?? "").ToList() : null,
                CacheHit = result.CacheHit,
                Marked = result.Marked,
                Milliseconds = Elapsed(started),
                Stages = stages,
            };
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
            // The silo is shutting down: the batch fails as a whole and the job retries it on another silo.
            throw;
        }
        catch (FaceSwapException e) when (e.Kind == FaceSwapErrorKind.NoFace && batch.Spec.Options.CopyUnswapped && bytes is not null)
        {
            return await CopyUntouchedAsync(batch, item, relative, bytes,
                outcome with { Status = ImageStatus.NoFace, ErrorClass = e.Code, Message = e.Message, CacheHit = e.AnalysisCacheHit }, started, cancellationToken).ConfigureAwait(false);
        }
        catch (FaceSwapException e) when (e.Kind == FaceSwapErrorKind.NoFace)
        {
            return outcome with { Status = ImageStatus.NoFace, ErrorClass = e.Code, Message = e.Message, CacheHit = e.AnalysisCacheHit, Milliseconds = Elapsed(started) };
        }
        catch (Exception e)
        {
            var errorClass = Classify(e);
            LogImageFailed(item.Path, errorClass, e.Message);
            return outcome with { Status = ImageStatus.Failed, ErrorClass = errorClass, Message = e.Message, Milliseconds = Elapsed(started) };
        }
    }

    /// <summary>
    /// The copy-unswapped option: the input written to the output under its own name, byte for byte, with the output
    /// metadata that lets a resumed job skip it but without the AI-generated mark (nothing in it was changed).
    /// </summary>
    private async Task<ImageOutcome> CopyUntouchedAsync(WorkBatch batch, WorkItem item, string relative, byte[] bytes, ImageOutcome outcome, long started, CancellationToken cancellationToken)
    {
        // The output path checked before the swap is the one of the job's format; a copy keeps the input's name, where
        // someone's own file may be (checked the same way, unless the job says overwrite).
        var path = batch.Spec.Output + relative;
        if (outcome.Output is not null && !batch.Spec.Options.Overwrite
            && await store.GetMetadataAsync(path, cancellationToken).ConfigureAwait(false) is { } existing && !OutputMetadata.IsOurs(existing))
        {
            return outcome with
            {
                Status = ImageStatus.Skipped,
                ErrorClass = OutputMetadata.NotOurs,
                Message = "a file that FaceSwap did not write is where the untouched copy would go; it is kept (the overwrite option replaces it)",
                Output = null,
                Milliseconds = Elapsed(started),
            };
        }

        await store.WriteAsync(path, bytes, ContentType(relative), new Dictionary<string, string>
        {
            [OutputMetadata.InputETag] = item.ETag,
            [OutputMetadata.SpecHash] = batch.SpecHash,
            [OutputMetadata.JobId] = batch.JobId,
        }, cancellationToken).ConfigureAwait(false);
        FaceSwapTelemetry.BytesWritten.Add(bytes.Length);
        return outcome with { Output = null, Untouched = true, Marked = false, Milliseconds = Elapsed(started) };
    }

    /// <summary>
    /// Whether a file without FaceSwap's stored metadata still is a FaceSwap output: its XMP names a job. That is an
    /// output whose metadata was lost (a crash between writing the image and its sidecar, a copy that changed its
    /// time), which a job redoes rather than keeps. The XMP sits at the start of every format the engine writes.
    /// </summary>
    private async Task<bool> CarriesJobMarkAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            var head = await store.ReadRangeAsync(path, 0, 256 * 1024, cancellationToken).ConfigureAwait(false);
            return FaceSwap.Engine.Safety.XmpMarker.Read(head) is { Found: true, JobId: not null };
        }
        catch (Exception e) when (e is IOException or InvalidBlobPathException or Azure.RequestFailedException)
        {
            return false; // unreadable: kept, as a file that is not ours
        }
    }

    /// <summary>An engine thread: takes decoded images and swaps them; reading and writing happen elsewhere.</summary>
    private void WorkLoop()
    {
        var reader = queue.Reader;
        while (!stopping.IsCancellationRequested)
        {
            SwapWork? work;
            try
            {
                if (!reader.TryRead(out work))
                {
                    if (!reader.WaitToReadAsync(stopping.Token).AsTask().GetAwaiter().GetResult())
                    {
                        return;
                    }

                    continue;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            // The image has left the buffers: the next ones may be read and decoded.
            work.ReleaseSlots();

            // The stages' spans go under the image's span, which this thread did not start.
            Activity.Current = work.ImageSpan;
            try
            {
                work.Completion.TrySetResult(Swap(work));
            }
            catch (Exception e)
            {
                work.Completion.TrySetException(e);
            }
            finally
            {
                Activity.Current = null;
            }

            Interlocked.Increment(ref processed);
        }
    }

    private SwapResult Swap(SwapWork work)
    {
        var batch = work.Batch;
        var models = NeuralJobs.Stack(neural, batch.Spec.Options);
        return engine.Value.Swap(work.Target!, GetSourceSet(batch, work.Item), new SwapRequest
        {
            Faces = batch.Spec.Options.Faces switch
            {
                FaceMode.Largest => FaceSelection.Largest,
                FaceMode.Reference => FaceSelection.Reference,
                _ => FaceSelection.All,
            },
            References = batch.Spec.Options.Faces == FaceMode.Reference ? GetReferences(batch) : [],
            ReferenceDistance = batch.Spec.Options.ReferenceDistance,
            MinFace = batch.Spec.Options.MinFace,
            OutputFormat = ImageCodec.FormatFromPath(work.OutputRelative ?? work.RelativePath),
            Quality = batch.Spec.Options.Quality,
            StripGps = batch.Spec.Options.StripGps,
            JobId = batch.JobId,
            Watermark = batch.Spec.Options.Watermark,
            Cache = RepeatCache,
            Swapper = models.Swapper,
            Enhancer = models.Enhancer,
            Detector = models.Detector,
            Landmarker = models.Landmarker,
        });
    }

    /// <summary>The failure classes of per-image outcomes.</summary>
    public static string Classify(Exception e) => e switch
    {
        FaceSwapException f => f.Code,
        FaceSwap.Engine.Neural.ExecutionProviderUnavailableException => NeuralJobs.ProviderUnavailable,
        BlobNotFoundException => "not_found",
        BlobTooLargeException => "file_too_large",
        BlobNotRegularFileException => "not_a_regular_file",
        BlobReadTimeoutException => "read_timeout",
        InvalidBlobPathException => "invalid_path",
        IOException or TimeoutException or Azure.RequestFailedException => "storage_error",
        _ => "internal_error",
    };

    private SourceFace GetSource(JobSpec spec, string etag)
    {
        var key = spec.Source + "|" + etag;
        var lazy = sources.GetOrAdd(key, _ => new Lazy<SourceFace>(() =>
        {
            var bytes = store.ReadAllBytesAsync(spec.Source, spec.Options.MaxFileBytes).GetAwaiter().GetResult();

            // The audit log's hash of the source, from the bytes read here rather than a second read.
            RememberSourceSha256(spec.Source, etag, bytes);
            return engine.Value.PrepareSource(bytes);
        }, LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // Do not cache failures: the next job may bring a fixed source at the same path.
            sources.TryRemove(new KeyValuePair<string, Lazy<SourceFace>>(key, lazy));
            throw;
        }
    }

    /// <summary>The reference embeddings of a job, cached by its spec hash (which holds the references' versions).</summary>
    private IReadOnlyList<float[]> GetReferences(WorkBatch batch)
    {
        var spec = batch.Spec;
        var lazy = references.GetOrAdd(batch.SpecHash, _ => new Lazy<IReadOnlyList<float[]>>(() => (spec.Options.References ?? [])
            .Select(path => engine.Value.PrepareReference(store.ReadAllBytesAsync(path, spec.Options.MaxFileBytes).GetAwaiter().GetResult()))
            .ToList(), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            references.TryRemove(new KeyValuePair<string, Lazy<IReadOnlyList<float[]>>>(batch.SpecHash, lazy));
            throw;
        }
    }

    /// <summary>The spec hash starts with the source's ETag (see BatchGrain), so workers key the source cache by it.</summary>
    private static string SourceETag(string specHash) => specHash.Split(':')[0];

    private FaceEngine LoadEngine()
    {
        try
        {
            return LoadEngineOnProvider();
        }
        catch (Exception e) when (e is FaceSwap.Engine.Neural.ExecutionProviderUnavailableException or FaceSwapException)
        {
            // Never another provider instead: a GPU silo that quietly ran on its CPU would look healthy and be slow.
            LoadFailure = new EngineLoadFailure(e is FaceSwapException f ? f.Code : NeuralJobs.ProviderUnavailable, e.Message);
            LogEngineLoadFailed(LoadFailure.Code, options.ExecutionProvider, e.Message);
            throw;
        }
    }

    private FaceEngine LoadEngineOnProvider()
    {
        var models = ModelDirectory.Open(options.ModelsPath);
        var loaded = FaceEngine.Load(models, new EngineOptions
        {
            MaxPixels = options.MaxPixels,
            Onnx = new OnnxSettings
            {
                IntraOpThreads = options.IntraOpThreads,
                Provider = NeuralJobs.Provider(options),
                Batching = new BatchingSettings
                {
                    MaxBatch = Math.Max(1, options.ModelBatch),
                    MaxWait = TimeSpan.FromMilliseconds(Math.Max(0, options.ModelBatchWaitMs)),
                    ConcurrentRuns = options.ModelBatchWaitMs > 0 ? 1 : options.EffectiveConcurrency,
                },
            },
        });
        LogEngineLoaded(models.Path, options.EffectiveConcurrency);
        return loaded;
    }

    private static string ContentType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".webp" => "image/webp",
        ".bmp" => "image/bmp",
        ".heic" or ".heif" => "image/heic",
        ".avif" => "image/avif",
        _ => "image/jpeg",
    };

    private static double Elapsed(long started) => Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1);

    [LoggerMessage(1, LogLevel.Information, "Face engine loaded from {ModelsPath} with {Concurrency} pipelines")]
    private partial void LogEngineLoaded(string modelsPath, int concurrency);

    [LoggerMessage(2, LogLevel.Debug, "Image {Path} failed ({ErrorClass}): {Message}")]
    private partial void LogImageFailed(string path, string errorClass, string message);

    [LoggerMessage(3, LogLevel.Critical, "The face engine cannot load ({Code}) with execution provider '{Provider}': {Message}. This silo stays not ready (/readyz 503) and runs no images; it does not fall back to another provider")]
    private partial void LogEngineLoadFailed(string code, string provider, string message);

    /// <inheritdoc />
    public void Dispose()
    {
        stopping.Cancel();
        gauges.Dispose();
        queue.Writer.TryComplete();
        foreach (var worker in workers)
        {
            worker.Join(TimeSpan.FromSeconds(5));
        }

        // Fail what is still queued so awaiting grain calls return (the caller retries elsewhere) instead of hanging.
        while (queue.Reader.TryRead(out var pending))
        {
            pending.Completion.TrySetException(new ObjectDisposedException(nameof(EngineService), "the silo is shutting down"));
        }

        if (engine.IsValueCreated)
        {
            engine.Value.Dispose();
        }

        if (neural.IsValueCreated)
        {
            neural.Value.Dispose();
        }

        foreach (var source in sources.Values.Where(s => s.IsValueCreated))
        {
            source.Value.Dispose();
        }

        DisposeSources();

        stopping.Dispose();
    }

    /// <summary>One image between the fetch stage and an engine thread, with the buffer slots it holds until an engine thread takes it.</summary>
    private sealed class SwapWork(WorkBatch batch, WorkItem item, string relativePath, SemaphoreSlim prefetchSlot)
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

        public TaskCompletionSource<SwapResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void HoldsDecodeSlot(SemaphoreSlim slot) => decode = slot;

        /// <summary>Gives the slots back, once (from the engine thread that took the image, or when fetching failed).</summary>
        public void ReleaseSlots()
        {
            Interlocked.Exchange(ref decode, null)?.Release();
            Interlocked.Exchange(ref prefetch, null)?.Release();
        }
    }
}

/// <summary>Why a silo's engine could not load: an error code (execution_provider_unavailable, model_missing, ...) and the message.</summary>
public sealed record EngineLoadFailure(string Code, string Message);
