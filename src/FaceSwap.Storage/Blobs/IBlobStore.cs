namespace FaceSwap.Storage;

/// <summary>
/// One blob store for inputs, outputs and job files, over Azure Blob Storage or local folders.
/// </summary>
/// <remarks>
/// A path is <c>container/rest/of/path</c> with <c>/</c> separators; the first segment is the container.
/// Transient failures are retried inside the store; what escapes has already been retried.
/// </remarks>
public interface IBlobStore
{
    /// <summary>
    /// Lists one page of the blobs under <paramref name="prefix"/>, recursively, in ordinal order of their paths.
    /// </summary>
    /// <param name="prefix">
    /// <c>container</c>, <c>container/</c>, <c>container/folder/</c> or <c>container/folder/name-start</c>;
    /// the part after the container is a plain string prefix of the blob names.
    /// </param>
    /// <param name="continuationToken">
    /// <see langword="null"/> for the first page, otherwise the <see cref="BlobPage.ContinuationToken"/> of the previous page.
    /// A token is a plain string that may be persisted and used later, from another process.
    /// </param>
    /// <param name="pageSize">The most items to return (1 to 5000).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>
    /// A page of at most <paramref name="pageSize"/> items; its token is <see langword="null"/> when the listing is done.
    /// A page may hold fewer items than asked (even none) while its token is not <see langword="null"/>.
    /// </returns>
    Task<BlobPage> ListAsync(string prefix, string? continuationToken, int pageSize, CancellationToken cancellationToken = default);

    /// <summary>Gets a blob's size, ETag and last-modified time, or <see langword="null"/> when it does not exist.</summary>
    Task<BlobItemInfo?> GetPropertiesAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Gets the metadata stored with a blob, or <see langword="null"/> when the blob does not exist.</summary>
    Task<IReadOnlyDictionary<string, string>?> GetMetadataAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gets a blob's metadata and the ETag of its content in one look, or <see langword="null"/> when the blob does not
    /// exist: what a later <see cref="WriteIfAsync"/> names as the state it expects.
    /// </summary>
    Task<BlobStamp?> GetStampAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Reads a whole blob into memory.</summary>
    /// <param name="path">The blob's path.</param>
    /// <param name="maxBytes">The largest blob accepted; the size is checked before the content is read.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="BlobNotFoundException">The blob does not exist.</exception>
    /// <exception cref="BlobTooLargeException">The blob is larger than <paramref name="maxBytes"/>.</exception>
    Task<byte[]> ReadAllBytesAsync(string path, long maxBytes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads at most <paramref name="maxBytes"/> bytes of a blob starting at <paramref name="offset"/>: the way to follow
    /// an append-only manifest without reading it whole each time.
    /// </summary>
    /// <returns>The bytes read; empty when the blob is missing or no longer than <paramref name="offset"/>.</returns>
    Task<byte[]> ReadRangeAsync(string path, long offset, int maxBytes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a blob, replacing any blob at <paramref name="path"/>. Readers see the old or the new content, never a mix.
    /// </summary>
    /// <param name="path">The blob's path; its container is created when missing.</param>
    /// <param name="content">The content.</param>
    /// <param name="contentType">The MIME type, e.g. <c>image/jpeg</c>.</param>
    /// <param name="metadata">
    /// Metadata stored with the blob, replacing the old metadata. Keys are C# identifiers (letters, digits, '_');
    /// values are printable ASCII. Both rules come from Azure Blob Storage and hold for every store.
    /// </param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task WriteAsync(string path, ReadOnlyMemory<byte> content, string contentType, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a blob as <see cref="WriteAsync"/> does, but only if the blob at <paramref name="path"/> is still in the
    /// state <paramref name="condition"/> names (absent, or at the ETag seen): of two writers that saw the same state,
    /// one writes and the other gets <see langword="false"/>.
    /// </summary>
    /// <remarks>
    /// Azure checks the condition on the service (<c>If-None-Match: *</c> / <c>If-Match</c>). The local store creates a
    /// new file without replacing one (atomic across processes) and compares the ETag under a lock of its own process.
    /// A write retried after a lost response may report <see langword="false"/> for its own first attempt: a caller
    /// that gets <see langword="false"/> reads the blob's stamp to see who wrote it.
    /// </remarks>
    /// <returns>Whether the blob was written.</returns>
    Task<bool> WriteIfAsync(string path, ReadOnlyMemory<byte> content, string contentType, IReadOnlyDictionary<string, string>? metadata, WriteCondition condition, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends lines (UTF-8, each terminated by <c>\n</c>) to an append-only blob such as a JSON-lines manifest,
    /// creating it when missing.
    /// </summary>
    /// <remarks>
    /// A batch is appended whole, but a retried append may be applied twice after a lost response:
    /// readers of a manifest should tolerate duplicate lines.
    /// </remarks>
    /// <exception cref="ArgumentException">A line contains <c>\n</c> or <c>\r</c>.</exception>
    Task AppendLinesAsync(string path, IEnumerable<string> lines, CancellationToken cancellationToken = default);

    /// <summary>Deletes a blob; returns <see langword="false"/> when it did not exist.</summary>
    Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Returns whether a blob exists.</summary>
    Task<bool> ExistsAsync(string path, CancellationToken cancellationToken = default);
}

/// <summary>One page of a blob listing.</summary>
/// <param name="Items">The blobs of this page, in order.</param>
/// <param name="ContinuationToken">Where the next page starts, or <see langword="null"/> when the listing is done.</param>
public sealed record BlobPage(IReadOnlyList<BlobItemInfo> Items, string? ContinuationToken);

/// <summary>What a listing says about one blob.</summary>
/// <param name="Path">The full path, container included.</param>
/// <param name="Size">The size in bytes.</param>
/// <param name="ETag">
/// An opaque string, in quoted HTTP form, that changes whenever the content changes; a listing and
/// <see cref="IBlobStore.GetPropertiesAsync"/> give the same value for the same content.
/// </param>
/// <param name="LastModified">When the blob was last written.</param>
public sealed record BlobItemInfo(string Path, long Size, string ETag, DateTimeOffset LastModified);
