using System.Diagnostics;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Swapping;
using FaceSwap.Grains.Diagnostics;
using FaceSwap.Grains.Hosting;
using FaceSwap.Grains.Safety;
using FaceSwap.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace FaceSwap.Grains.Inference;

/// <summary>
/// The per-silo face engine: models loaded once (<see cref="EngineModels"/>), sources prepared once
/// (<see cref="SourceCatalogue"/>), and each image in three stages that overlap across images: fetch (output check,
/// read, prepare sources, decode; asynchronous and bounded by the prefetch buffer), swap (<see cref="EngineWorkerPool"/>'s
/// dedicated threads, fed by a queue of at most one decoded image per thread) and write (<see cref="ImageProcessor"/>,
/// asynchronous). Grains hand work to it and await the result, so no grain turn ever runs the engine and no engine
/// thread ever waits on storage.
/// </summary>
public sealed partial class EngineService : IInferenceEngine, IDisposable
{
    /// <summary>How a refused reference's error starts.</summary>
    public const string ReferenceErrorPrefix = SourceChecker.ReferenceErrorPrefix;

    /// <summary>The code of an image whose output changed between the check and the write (not by this job).</summary>
    public const string OutputChanged = ImageProcessor.OutputChanged;

    /// <summary>The code of an image dropped because the job's activation that sent it is gone; its new one does the image.</summary>
    public const string SupersededCode = ImageProcessor.SupersededCode;

    private readonly IBlobStore store;
    private readonly FaceSwapSiloOptions options;
    private readonly ILogger<EngineService> logger;
    private readonly EngineModels models;
    private readonly SourceCatalogue catalogue;
    private readonly SourceChecker checker;
    private readonly ImageProcessor images;
    private readonly EngineWorkerPool pool;
    private readonly DispatcherCheck dispatcher;
    private readonly SemaphoreSlim prefetched;
    private readonly CancellationTokenSource stopping = new();
    private readonly FaceSwapTelemetry.EngineGauges gauges;
    private TargetAnalysisCache? analysisCache;
    private int disposed;

    /// <summary>Creates the service and starts its worker threads.</summary>
    public EngineService(IBlobStore store, IOptions<FaceSwapSiloOptions> options, ILocalSiloDetails silo, IGrainFactory grains, ILogger<EngineService> logger)
    {
        this.store = store;
        this.options = options.Value;
        this.logger = logger;
        models = new EngineModels(this.options, logger);
        catalogue = new SourceCatalogue(store, models);
        checker = new SourceChecker(store, models, catalogue);
        images = new ImageProcessor(store, silo.Name);
        dispatcher = new DispatcherCheck(grains);
        prefetched = new SemaphoreSlim(Math.Max(1, this.options.Prefetch));
        pool = new EngineWorkerPool(this.options.EffectiveConcurrency, Swap);
        gauges = FaceSwapTelemetry.RegisterEngine(silo.Name, () => pool.Queued, logger);
    }

    /// <summary>Whether the models are loaded (readiness).</summary>
    public bool ModelsLoaded => models.Loaded;

    /// <summary>Why the models could not be loaded (readiness reports its code), or null while none failed.</summary>
    public EngineLoadFailure? LoadFailure => models.LoadFailure;

    /// <summary>Loads the models now, if they are not loaded yet.</summary>
    public void LoadModels() => _ = models.Engine;

    /// <summary>Images processed by this silo since it started.</summary>
    public long Processed => pool.Processed;

    /// <summary>Repeat-image cache hits of this silo since it started.</summary>
    public long CacheHits => analysisCache?.Hits ?? 0;

    /// <summary>
    /// Targets with the same content are decoded and analysed once per silo (a bounded LRU by content hash); null when
    /// <see cref="FaceSwapSiloOptions.RepeatImageCacheEntries"/> turns it off.
    /// </summary>
    private TargetAnalysisCache? RepeatCache => options.RepeatImageCacheEntries <= 0
        ? null
        : analysisCache ?? Interlocked.CompareExchange(ref analysisCache, new TargetAnalysisCache(options.RepeatImageCacheEntries), null) ?? analysisCache;

    /// <inheritdoc />
    public Task<SourceCheck> CheckSourceAsync(JobSpec spec) => checker.CheckAsync(spec);

    /// <inheritdoc />
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
        var outcome = images.Blank(batch, item);
        var relative = outcome.Path;
        var outputRelative = outcome.Output ?? relative;
        byte[]? bytes = null;
        try
        {
            // Photo formats the engine does not read are listed so they appear here, refused by name before a read.
            if (ImageCodec.UnreadablePhotoExtensions.Contains(Path.GetExtension(relative)))
            {
                throw new FaceSwapException(FaceSwapErrorKind.UnsupportedFormat,
                    $"{Path.GetExtension(relative)} files are not read: convert the photo to JPEG, PNG, WebP, HEIC or AVIF");
            }

            var timer = new StageTimer();
            SwapResult result;
            OutputCheck check;
            await prefetched.WaitAsync(cancellationToken).ConfigureAwait(false);
            var request = new SwapWork(batch, item, relative, prefetched);
            try
            {
                check = await images.CheckOutputAsync(batch, item, outcome, started, timer, cancellationToken).ConfigureAwait(false);
                if (check.Done is { } done)
                {
                    return done;
                }

                if (await dispatcher.IsGoneAsync(batch).ConfigureAwait(false))
                {
                    return ImageProcessor.Superseded(outcome, started);
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

                // The sources are read and prepared here (once per silo, then kept), so the engine thread never waits on storage.
                request.Sources = await catalogue.SourceSetAsync(batch, item).ConfigureAwait(false);
                request.References = await catalogue.ReferencesAsync(batch).ConfigureAwait(false);

                // Decoding ahead is bounded separately (decoded images are large): at most one waiting per engine thread.
                await pool.ReserveAsync(request, cancellationToken).ConfigureAwait(false);
                request.Target = models.Engine.Prepare(bytes, relative, RepeatCache, decodeAhead: true);
                request.OutputRelative = outputRelative;
                result = await pool.SwapAsync(request, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                request.ReleaseSlots();
                request.Target?.Dispose();
            }

            if (batch.Spec.Options.CopyUnswapped && !result.Faces.Any(f => f.Swapped))
            {
                return await images.CopyUntouchedAsync(batch, item, bytes, outcome with
                {
                    Status = ImageStatus.Ok,
                    FacesSkipped = result.Faces.Count,
                    SkipReasons = result.Faces.Count == 0 ? null : result.Faces.GroupBy(f => f.Reason ?? "unselected").ToDictionary(g => g.Key, g => g.Count()),
                    CacheHit = result.CacheHit,
                }, started, cancellationToken).ConfigureAwait(false);
            }

            var swapped = Swapped(outcome, result);
            if (await dispatcher.IsGoneAsync(batch).ConfigureAwait(false))
            {
                return ImageProcessor.Superseded(outcome, started);
            }

            ImageOutcome? lostRace;
            using (timer.Time("write"))
            {
                lostRace = await images.WriteAsync(batch, item, swapped, result.Output, result.Marked, check.Seen, started, cancellationToken).ConfigureAwait(false);
            }

            if (lostRace is not null)
            {
                return lostRace;
            }

            var stages = result.TimingsMs.Concat(timer.Totals).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => Math.Round(g.Sum(kv => kv.Value), 1));
            return swapped with { Milliseconds = ImageProcessor.Elapsed(started), Stages = stages };
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
            // The silo is shutting down: the batch fails as a whole and the job retries it on another silo.
            throw;
        }
        catch (FaceSwapException e) when (e.Kind == FaceSwapErrorKind.NoFace && batch.Spec.Options.CopyUnswapped && bytes is not null)
        {
            return await images.CopyUntouchedAsync(batch, item, bytes,
                outcome with { Status = ImageStatus.NoFace, ErrorClass = e.Code, Message = e.Message, CacheHit = e.AnalysisCacheHit }, started, cancellationToken).ConfigureAwait(false);
        }
        catch (FaceSwapException e) when (e.Kind == FaceSwapErrorKind.NoFace)
        {
            return outcome with { Status = ImageStatus.NoFace, ErrorClass = e.Code, Message = e.Message, CacheHit = e.AnalysisCacheHit, Milliseconds = ImageProcessor.Elapsed(started) };
        }
        catch (Exception e)
        {
            var errorClass = Classify(e);
            LogImageFailed(item.Path, errorClass, e.Message);
            return outcome with { Status = ImageStatus.Failed, ErrorClass = errorClass, Message = e.Message, Milliseconds = ImageProcessor.Elapsed(started) };
        }
    }

    /// <summary>The ok outcome of a swapped image: its faces, those skipped and why, and the similarity reached.</summary>
    private static ImageOutcome Swapped(ImageOutcome blank, SwapResult result)
    {
        var skipped = result.Faces.Where(f => !f.Swapped).ToList();
        var measured = result.Faces.Where(f => f.Swapped && f.SimilarityAfter is not null).Select(f => f.SimilarityAfter!.Value).ToList();
        var faces = FaceOutcomes.Of(result.Faces);
        return blank with
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
        };
    }

    /// <summary>An engine thread's one job: swap a decoded image with sources prepared before it was queued.</summary>
    private SwapResult Swap(SwapWork work)
    {
        var batch = work.Batch;
        var jobOptions = batch.Spec.Options;
        var neural = NeuralJobs.Stack(models.Neural, jobOptions);
        return models.Engine.Swap(work.Target!, work.Sources!, new SwapRequest
        {
            Faces = jobOptions.Faces switch
            {
                FaceMode.Largest => FaceSelection.Largest,
                FaceMode.Reference => FaceSelection.Reference,
                _ => FaceSelection.All,
            },
            References = work.References,
            ReferenceDistance = jobOptions.ReferenceDistance,
            MinFace = jobOptions.MinFace,
            OutputFormat = ImageCodec.FormatFromPath(work.OutputRelative ?? work.RelativePath),
            Quality = jobOptions.Quality,
            StripGps = jobOptions.StripGps,
            JobId = batch.JobId,
            Watermark = jobOptions.Watermark,
            Cache = RepeatCache,
            Swapper = neural.Swapper,
            Enhancer = neural.Enhancer,
            Detector = neural.Detector,
            Landmarker = neural.Landmarker,
        });
    }

    /// <summary>The failure classes of per-image outcomes.</summary>
    public static string Classify(Exception e) => e switch
    {
        FaceSwapException f => f.Code,
        ExecutionProviderUnavailableException => NeuralJobs.ProviderUnavailable,
        BlobNotFoundException => "not_found",
        BlobTooLargeException => "file_too_large",
        BlobNotRegularFileException => "not_a_regular_file",
        BlobReadTimeoutException => "read_timeout",
        InvalidBlobPathException => "invalid_path",
        IOException or TimeoutException => "storage_error",
        _ => "internal_error",
    };

    [LoggerMessage(2, LogLevel.Debug, "Image {Path} failed ({ErrorClass}): {Message}")]
    private partial void LogImageFailed(string path, string errorClass, string message);

    /// <inheritdoc />
    public void Dispose()
    {
        // Once: the container disposes the service under both of its registrations (itself and IInferenceEngine).
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        stopping.Cancel();
        gauges.Dispose();
        pool.Dispose();
        models.Dispose();
        catalogue.Dispose();
        analysisCache?.Dispose();
        stopping.Dispose();
    }
}
