using System.Collections.Concurrent;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Swapping;
using FaceSwap.Grains.Batch;
using FaceSwap.Grains.Hosting;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Inference;

/// <summary>
/// Source sets and matrix identities, prepared once per silo and kept by their photos' paths and versions; and the
/// silo's repeat-image cache, shared by every job it runs.
/// </summary>
public sealed partial class EngineService
{
    /// <summary>The most prepared source sets kept; more are prepared again when needed.</summary>
    private const int MaxSourceSets = 64;

    private readonly ConcurrentDictionary<string, Lazy<SourceSet>> sourceSets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<IReadOnlyList<SourceIdentity>>> identities = new(StringComparer.Ordinal);

    private TargetAnalysisCache? analysisCache;

    /// <summary>Repeat-image cache hits of this silo since it started.</summary>
    public long CacheHits => analysisCache?.Hits ?? 0;

    /// <summary>
    /// Targets with the same content are decoded and analysed once per silo (a bounded LRU by content hash); null when
    /// <see cref="FaceSwapSiloOptions.RepeatImageCacheEntries"/> turns it off.
    /// </summary>
    private TargetAnalysisCache? RepeatCache => options.RepeatImageCacheEntries <= 0
        ? null
        : analysisCache ?? Interlocked.CompareExchange(ref analysisCache, new TargetAnalysisCache(options.RepeatImageCacheEntries), null) ?? analysisCache;

    /// <summary>
    /// Checks every identity of a spec with <see cref="JobSpec.Sources"/>: each has 1 to
    /// <see cref="SourceMatrix.MaxImagesPerIdentity"/> photos, each showing a usable face. Null when the spec has none
    /// or all are usable.
    /// </summary>
    private async Task<SourceCheck?> CheckSourceSetsAsync(JobSpec spec, Lazy<Task<IReadOnlyList<SourceIdentity>>> sources)
    {
        if (!SourceMatrix.HasSources(spec))
        {
            return null;
        }

        foreach (var identity in await sources.Value)
        {
            var what = identity.Name is null ? "source set" : $"source '{identity.Name}'";
            if (identity.Images.Count == 0)
            {
                return new SourceCheck(false, $"{what}: no image found", "no_face");
            }

            if (identity.Images.Count > SourceMatrix.MaxImagesPerIdentity)
            {
                return new SourceCheck(false, $"{what}: more than {SourceMatrix.MaxImagesPerIdentity} images", "too_many_sources");
            }

            try
            {
                await Task.Factory.StartNew(() => Prepared(spec, identity), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
            catch (FaceSwapException e)
            {
                return new SourceCheck(false, $"{what}: {e.Message}", e.Code);
            }
        }

        return null;
    }

    /// <summary>The sources of one work item: the job's one source face, its set, or the item's identity in a matrix job.</summary>
    private SourceSet GetSourceSet(WorkBatch batch, WorkItem item)
    {
        var spec = batch.Spec;
        if (!SourceMatrix.HasSources(spec))
        {
            return SourceSet.WithMirror(engine.Value, GetSource(spec, SourceETag(batch.SpecHash)));
        }

        var resolved = identities.GetOrAdd(batch.SpecHash, _ => new Lazy<IReadOnlyList<SourceIdentity>>(
            () => SourceMatrix.ResolveAsync(store, spec).GetAwaiter().GetResult(), LazyThreadSafetyMode.ExecutionAndPublication));
        IReadOnlyList<SourceIdentity> all;
        try
        {
            all = resolved.Value;
        }
        catch
        {
            identities.TryRemove(new KeyValuePair<string, Lazy<IReadOnlyList<SourceIdentity>>>(batch.SpecHash, resolved));
            throw;
        }

        var identity = all.FirstOrDefault(i => i.Name == item.Identity)
            ?? throw new FaceSwapException(FaceSwapErrorKind.NoFace, $"the job has no source named '{item.Identity}'");
        return Prepared(spec, identity);
    }

    /// <summary>An identity's set, prepared once and kept by its photos' paths and versions.</summary>
    private SourceSet Prepared(JobSpec spec, SourceIdentity identity)
    {
        var key = string.Join(",", identity.Images.Select(i => $"{i.Path}@{i.ETag}"));
        if (sourceSets.Count >= MaxSourceSets && !sourceSets.ContainsKey(key))
        {
            // Rare (a silo serving many matrix jobs); dropped sets are garbage collected, not disposed under a worker.
            sourceSets.Clear();
        }

        var lazy = sourceSets.GetOrAdd(key, _ => new Lazy<SourceSet>(() => SourceSet.Prepare(engine.Value, identity.Images
            .Select(i => (Path.GetFileName(i.Path), ReadSourcePhoto(spec, i)))
            .ToList()), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            sourceSets.TryRemove(new KeyValuePair<string, Lazy<SourceSet>>(key, lazy));
            throw;
        }
    }

    private byte[] ReadSourcePhoto(JobSpec spec, BlobItemInfo photo)
    {
        var bytes = store.ReadAllBytesAsync(photo.Path, spec.Options.MaxFileBytes).GetAwaiter().GetResult();

        // The audit log's hash of the photo, from the bytes read here rather than a second read.
        RememberSourceSha256(photo.Path, photo.ETag, bytes);
        return bytes;
    }

    private void DisposeSources()
    {
        foreach (var set in sourceSets.Values.Where(s => s.IsValueCreated))
        {
            set.Value.Dispose();
        }

        analysisCache?.Dispose();
    }
}
