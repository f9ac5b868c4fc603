namespace FaceSwap.Storage;

/// <summary>
/// What a conditional write (<see cref="IBlobStore.WriteIfAsync"/>) expects to find at its path: nothing, or the blob
/// with the ETag seen when the writer looked. Two writers that both saw the same state cannot both write.
/// </summary>
public sealed record WriteCondition
{
    private WriteCondition(string? etag) => ETag = etag;

    /// <summary>The write succeeds only if no blob is at the path (Azure: <c>If-None-Match: *</c>).</summary>
    public static WriteCondition IfAbsent { get; } = new((string?)null);

    /// <summary>The ETag the blob must still have; null for <see cref="IfAbsent"/>.</summary>
    public string? ETag { get; }

    /// <summary>The write succeeds only if the blob still has <paramref name="etag"/> (Azure: <c>If-Match</c>).</summary>
    public static WriteCondition IfUnchanged(string etag)
    {
        ArgumentException.ThrowIfNullOrEmpty(etag);
        return new WriteCondition(etag);
    }

    /// <summary>The condition that a blob seen as <paramref name="seen"/> (null: no blob) is still as it was.</summary>
    public static WriteCondition Unchanged(BlobStamp? seen) => seen is null ? IfAbsent : IfUnchanged(seen.ETag);
}

/// <summary>A blob's metadata together with the ETag of the content it belongs to, read in one look.</summary>
/// <param name="ETag">The content's ETag, in the form <see cref="BlobItemInfo.ETag"/> has.</param>
/// <param name="Metadata">The metadata (empty when the blob has none, or the local store's sidecar is for other content).</param>
public sealed record BlobStamp(string ETag, IReadOnlyDictionary<string, string> Metadata);
