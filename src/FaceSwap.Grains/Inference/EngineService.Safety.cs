using System.Collections.Concurrent;
using System.Security.Cryptography;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Inference;

/// <summary>The source face's hash for the audit log, taken where images may be read (inference silos).</summary>
public sealed partial class EngineService
{
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
