using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine;
using FaceSwap.Engine.Models;
using FaceSwap.Grains.Batch;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Inference;

/// <summary>
/// Whether a job's sources are usable, checked when the job starts on an inference silo: the source face (or every
/// photo of its sets), the public models it selects, the references of a reference job. What it prepares stays in the
/// catalogue for the job's images; the check carries the sources' hashes for the audit log.
/// </summary>
public sealed class SourceChecker(IBlobStore store, EngineModels models, SourceCatalogue catalogue)
{
    /// <summary>How a refused reference's error starts.</summary>
    public const string ReferenceErrorPrefix = "reference face";

    /// <summary>Checks that a spec's source face is usable, preparing (and keeping) it.</summary>
    public async Task<SourceCheck> CheckAsync(JobSpec spec)
    {
        // A set's or matrix's folders are listed once per check: the photos checked are the photos the audit hashes.
        var sources = new Lazy<Task<IReadOnlyList<SourceIdentity>>>(() => SourceMatrix.ResolveAsync(store, spec));
        try
        {
            var properties = await store.GetPropertiesAsync(spec.Source)
                ?? throw new FaceSwapException(FaceSwapErrorKind.NoFace, $"source face '{spec.Source}' does not exist");
            // Loading public models can take seconds: off the grain scheduler, like the source preparation.
            if (await Task.Factory.StartNew(() => NeuralJobs.Check(models.Neural, spec.Options), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default) is { } unusable)
            {
                return await WithSourceHashesAsync(unusable, spec, sources);
            }

            await catalogue.SourceAsync(spec, properties.ETag);
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
        catch (ExecutionProviderUnavailableException e)
        {
            // This silo's engine does not load on the provider it was told to use (its readiness says so): the job is
            // refused with the code, as a public model on an unavailable provider is, and never runs on another provider.
            return await WithSourceHashesAsync(new SourceCheck(false, NeuralJobs.ErrorPrefix + e.Message, NeuralJobs.ProviderUnavailable) { Field = JobErrorFields.Options }, spec, sources);
        }
    }

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
                await catalogue.SetAsync(spec, identity);
            }
            catch (FaceSwapException e)
            {
                return new SourceCheck(false, $"{what}: {e.Message}", e.Code);
            }
        }

        return null;
    }

    /// <summary>
    /// Reference mode: every reference must show a usable face. The error names the reference; the check's field is
    /// options.references (the API's 422 and the job's status name it).
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
                await Task.Factory.StartNew(() => models.Engine.PrepareReference(bytes), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
            catch (FaceSwapException e)
            {
                return new SourceCheck(false, $"{ReferenceErrorPrefix} '{path}': {e.Message}", e.Code) { Field = JobErrorFields.References };
            }
            catch (Exception e) when (e is IOException or InvalidBlobPathException or BlobNotFoundException or BlobTooLargeException)
            {
                return new SourceCheck(false, $"{ReferenceErrorPrefix} '{path}': {e.Message}", EngineService.Classify(e)) { Field = JobErrorFields.References };
            }
        }

        return null;
    }

    /// <summary>The check with the hashes of the source face and, for a set or matrix job, of every source photo.</summary>
    private async Task<SourceCheck> WithSourceHashesAsync(SourceCheck check, JobSpec spec, Lazy<Task<IReadOnlyList<SourceIdentity>>> sources) =>
        check with { SourceSha256 = await SourceSha256Async(spec), SourcePhotosSha256 = await SourcePhotosSha256Async(spec, sources) };

    /// <summary>SHA-256 (hex) of each photo of a job's <see cref="JobSpec.Sources"/>, by path; null without sources.</summary>
    private async Task<IReadOnlyDictionary<string, string>?> SourcePhotosSha256Async(JobSpec spec, Lazy<Task<IReadOnlyList<SourceIdentity>>> sources)
    {
        if (!SourceMatrix.HasSources(spec))
        {
            return null;
        }

        IReadOnlyList<SourceIdentity> resolved;
        try
        {
            resolved = await sources.Value;
        }
        catch (Exception e) when (IsUnreadable(e))
        {
            return null;
        }

        var hashes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var photo in resolved.SelectMany(identity => identity.Images))
        {
            // A photo that cannot be read has no hash; the check itself says why the job cannot run.
            if (await Sha256Async(photo.Path, photo.ETag, spec.Options.MaxFileBytes) is { } hash)
            {
                hashes[photo.Path] = hash;
            }
        }

        return hashes;
    }

    /// <summary>SHA-256 (hex) of the source face's bytes; null when it cannot be read.</summary>
    private async Task<string?> SourceSha256Async(JobSpec spec)
    {
        try
        {
            var properties = await store.GetPropertiesAsync(spec.Source);
            return properties is null ? null : await Sha256Async(spec.Source, properties.ETag, spec.Options.MaxFileBytes);
        }
        catch (Exception e) when (IsUnreadable(e))
        {
            return null;
        }
    }

    private async Task<string?> Sha256Async(string path, string etag, long maxBytes)
    {
        try
        {
            return await catalogue.Sha256Async(path, etag, maxBytes);
        }
        catch (Exception e) when (IsUnreadable(e))
        {
            return null;
        }
    }

    private static bool IsUnreadable(Exception e) =>
        e is IOException or BlobNotFoundException or BlobTooLargeException or InvalidBlobPathException;
}
