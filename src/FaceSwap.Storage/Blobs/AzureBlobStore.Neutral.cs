using Azure;

namespace FaceSwap.Storage;

/// <summary>
/// The store's operations as <see cref="IBlobStore"/> promises them: an Azure <see cref="RequestFailedException"/> that
/// the operation does not handle itself leaves as a store-neutral <see cref="BlobStoreException"/>.
/// </summary>
public sealed partial class AzureBlobStore
{
    /// <inheritdoc />
    public Task<BlobPage> ListAsync(string prefix, string? continuationToken, int pageSize, CancellationToken cancellationToken = default) =>
        NeutralAsync(prefix, () => ListCoreAsync(prefix, continuationToken, pageSize, cancellationToken));

    /// <inheritdoc />
    public Task<BlobItemInfo?> GetPropertiesAsync(string path, CancellationToken cancellationToken = default) =>
        NeutralAsync(path, () => GetPropertiesCoreAsync(path, cancellationToken));

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, string>?> GetMetadataAsync(string path, CancellationToken cancellationToken = default) =>
        NeutralAsync(path, () => GetMetadataCoreAsync(path, cancellationToken));

    /// <inheritdoc />
    public Task<BlobStamp?> GetStampAsync(string path, CancellationToken cancellationToken = default) =>
        NeutralAsync(path, () => GetStampCoreAsync(path, cancellationToken));

    /// <inheritdoc />
    public Task<byte[]> ReadAllBytesAsync(string path, long maxBytes, CancellationToken cancellationToken = default) =>
        NeutralAsync(path, () => ReadAllBytesCoreAsync(path, maxBytes, cancellationToken));

    /// <inheritdoc />
    public Task<byte[]> ReadRangeAsync(string path, long offset, int maxBytes, CancellationToken cancellationToken = default) =>
        NeutralAsync(path, () => ReadRangeCoreAsync(path, offset, maxBytes, cancellationToken));

    /// <inheritdoc />
    public Task WriteAsync(string path, ReadOnlyMemory<byte> content, string contentType, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken = default) =>
        NeutralAsync(path, async () =>
        {
            await WriteCoreAsync(path, content, contentType, metadata, cancellationToken).ConfigureAwait(false);
            return true;
        });

    /// <inheritdoc />
    public Task<bool> WriteIfAsync(string path, ReadOnlyMemory<byte> content, string contentType, IReadOnlyDictionary<string, string>? metadata, WriteCondition condition, CancellationToken cancellationToken = default) =>
        NeutralAsync(path, () => WriteIfCoreAsync(path, content, contentType, metadata, condition, cancellationToken));

    /// <inheritdoc />
    public Task AppendLinesAsync(string path, IEnumerable<string> lines, CancellationToken cancellationToken = default) =>
        NeutralAsync(path, async () =>
        {
            await AppendLinesCoreAsync(path, lines, cancellationToken).ConfigureAwait(false);
            return true;
        });

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) =>
        NeutralAsync(path, () => DeleteCoreAsync(path, cancellationToken));

    /// <inheritdoc />
    public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken = default) =>
        NeutralAsync(path, () => ExistsCoreAsync(path, cancellationToken));

    private static async Task<T> NeutralAsync<T>(string path, Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            throw new BlobStoreException(path, e.Status, e.ErrorCode, e);
        }
    }
}
