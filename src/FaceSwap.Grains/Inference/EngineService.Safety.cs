using System.Collections.Concurrent;
using System.Security.Cryptography;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Inference;

/// <summary>The source faces' hashes for the audit log, taken where images may be read (inference silos).</summary>
public sealed partial class EngineService
{
    /// <summary>The check with the hashes of the source face and, for a set or matrix job, of every source photo.</summary>
    private async Task<SourceCheck> WithSourceHashesAsync(SourceCheck check, JobSpec spec) =>
        check with { SourceSha256 = await SourceSha256Async(spec), SourcePhotosSha256 = await SourcePhotosSha256Async(spec) };

    /// <summary>SHA-256 (hex) of each photo of a job's <see cref="JobSpec.Sources"/>, by path; null without sources.</summary>
    private async Task<IReadOnlyDictionary<string, string>?> SourcePhotosSha256Async(JobSpec spec)
    {
        if (!SourceMatrix.HasSources(spec))
        {
            return null;
        }

        var hashes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var photo in (await SourceMatrix.ResolveAsync(store, spec)).SelectMany(identity => identity.Images))
            {
                var key = photo.Path + "|" + photo.ETag;
                hashes[photo.Path] = sourceHashes.TryGetValue(key, out var known)
                    ? known
                    : RememberSourceSha256(key, await store.ReadAllBytesAsync(photo.Path, spec.Options.MaxFileBytes));
            }
        }
        catch (Exception e) when (e is IOException or BlobNotFoundException or BlobTooLargeException or InvalidBlobPathException or Azure.RequestFailedException)
        {
            // A photo that cannot be read has no hash; the check itself says why the job cannot run.
        }

        return hashes;
    }

    private readonly ConcurrentDictionary<string, string> sourceHashes = new();

    /// <summary>Hashes a source's bytes and keeps the hash under its path and version.</summary>
    private string RememberSourceSha256(string key, byte[] bytes)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (sourceHashes.Count > 1024)
        {
            sourceHashes.Clear();
        }

        sourceHashes[key] = hash;
        return hash;
    }

    /// <summary>SHA-256 (hex) of the source face's bytes, cached by path and version; null when it cannot be read.</summary>
    private async Task<string?> SourceSha256Async(JobSpec spec)
    {
        try
        {
            var properties = await store.GetPropertiesAsync(spec.Source);
            if (properties is null)
            {
                return null;
            }

            var key = spec.Source + "|" + properties.ETag;
            if (sourceHashes.TryGetValue(key, out var known))
            {
                return known;
            }

            return RememberSourceSha256(key, await store.ReadAllBytesAsync(spec.Source, spec.Options.MaxFileBytes));
        }
        catch (Exception e) when (e is IOException or BlobNotFoundException or BlobTooLargeException or InvalidBlobPathException or Azure.RequestFailedException)
        {
            return null;
        }
    }
}
