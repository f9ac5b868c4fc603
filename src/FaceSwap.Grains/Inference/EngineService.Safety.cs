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
            if (await SourceSha256Async(photo.Path, photo.ETag, spec.Options.MaxFileBytes) is { } hash)
            {
                hashes[photo.Path] = hash;
            }
        }

        return hashes;
    }

    private readonly ConcurrentDictionary<string, string> sourceHashes = new();

    /// <summary>Hashes a source's bytes and keeps the hash under its path and version.</summary>
    private string RememberSourceSha256(string path, string etag, byte[] bytes)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (sourceHashes.Count > 1024)
        {
            sourceHashes.Clear();
        }

        sourceHashes[path + "|" + etag] = hash;
        return hash;
    }

    /// <summary>SHA-256 (hex) of the source face's bytes; null when it cannot be read.</summary>
    private async Task<string?> SourceSha256Async(JobSpec spec)
    {
        try
        {
            var properties = await store.GetPropertiesAsync(spec.Source);
            return properties is null ? null : await SourceSha256Async(spec.Source, properties.ETag, spec.Options.MaxFileBytes);
        }
        catch (Exception e) when (IsUnreadable(e))
        {
            return null;
        }
    }

    /// <summary>
    /// SHA-256 (hex) of one source photo's version, from the hash kept when it was read for preparation, else by
    /// reading it; null when it cannot be read.
    /// </summary>
    private async Task<string?> SourceSha256Async(string path, string etag, long maxBytes)
    {
        try
        {
            return sourceHashes.TryGetValue(path + "|" + etag, out var known)
                ? known
                : RememberSourceSha256(path, etag, await store.ReadAllBytesAsync(path, maxBytes));
        }
        catch (Exception e) when (IsUnreadable(e))
        {
            return null;
        }
    }

    private static bool IsUnreadable(Exception e) =>
        e is IOException or BlobNotFoundException or BlobTooLargeException or InvalidBlobPathException or Azure.RequestFailedException;
}
