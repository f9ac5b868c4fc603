using System.Text.RegularExpressions;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace FaceSwap.Storage;

/// <summary>
/// A blob store over Azure Blob Storage (or Azurite). The container is the first path segment and is created on
/// first write; metadata is blob metadata; manifests are append blobs. Failures the SDK reports come out as
/// <see cref="BlobStoreException"/>, so callers never see an Azure type.
/// </summary>
/// <remarks>
/// Transient failures are retried by the SDK with the retry options of the <see cref="BlobServiceClient"/>;
/// build it with <see cref="BlobStoreFactory.CreateClientOptions"/> (as <see cref="BlobStoreFactory"/> does) to get
/// exponential backoff.
/// </remarks>
public sealed partial class AzureBlobStore : IBlobStore
{
    private readonly BlobServiceClient service;

    /// <summary>Creates a store over <paramref name="serviceClient"/>.</summary>
    public AzureBlobStore(BlobServiceClient serviceClient)
    {
        ArgumentNullException.ThrowIfNull(serviceClient);
        this.service = serviceClient;
    }

    /// <summary>The account's blob service client.</summary>
    public BlobServiceClient ServiceClient => this.service;

    private async Task<BlobPage> ListCoreAsync(string prefix, string? continuationToken, int pageSize, CancellationToken cancellationToken = default)
    {
        var parsed = ParsePrefix(prefix);
        BlobStoreRules.ValidatePageSize(pageSize);
        var container = this.service.GetBlobContainerClient(parsed.Container);
        try
        {
            var pages = container
                .GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix: parsed.Name.Length == 0 ? null : parsed.Name, cancellationToken: cancellationToken)
                .AsPages(string.IsNullOrEmpty(continuationToken) ? null : continuationToken, pageSize);
            await foreach (var page in pages.ConfigureAwait(false))
            {
                var items = new List<BlobItemInfo>(page.Values.Count);
                foreach (var blob in page.Values)
                {
                    items.Add(new BlobItemInfo(
                        $"{parsed.Container}/{blob.Name}",
                        blob.Properties.ContentLength ?? 0,
                        NormalizeETag(blob.Properties.ETag),
                        blob.Properties.LastModified ?? DateTimeOffset.MinValue));
                }

                return new BlobPage(items, string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken);
            }
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            // No container, no blobs.
        }

        return new BlobPage([], null);
    }

    private async Task<BlobItemInfo?> GetPropertiesCoreAsync(string path, CancellationToken cancellationToken = default)
    {
        var (parsed, blob) = GetBlob(path);
        var properties = await TryGetPropertiesAsync(blob, cancellationToken).ConfigureAwait(false);
        return properties is null
            ? null
            : new BlobItemInfo(parsed.ToString(), properties.ContentLength, NormalizeETag(properties.ETag), properties.LastModified);
    }

    private async Task<IReadOnlyDictionary<string, string>?> GetMetadataCoreAsync(string path, CancellationToken cancellationToken = default)
    {
        var (_, blob) = GetBlob(path);
        var properties = await TryGetPropertiesAsync(blob, cancellationToken).ConfigureAwait(false);
        return properties is null
            ? null
            : new Dictionary<string, string>(properties.Metadata, StringComparer.OrdinalIgnoreCase);
    }

    private async Task<BlobStamp?> GetStampCoreAsync(string path, CancellationToken cancellationToken = default)
    {
        var (_, blob) = GetBlob(path);
        var properties = await TryGetPropertiesAsync(blob, cancellationToken).ConfigureAwait(false);
        return properties is null
            ? null
            : new BlobStamp(NormalizeETag(properties.ETag), new Dictionary<string, string>(properties.Metadata, StringComparer.OrdinalIgnoreCase));
    }

    private async Task<byte[]> ReadAllBytesCoreAsync(string path, long maxBytes, CancellationToken cancellationToken = default)
    {
        var (parsed, blob) = GetBlob(path);
        BlobStoreRules.ValidateMaxBytes(maxBytes);
        Response<BlobDownloadStreamingResult> response;
        try
        {
            response = await blob.DownloadStreamingAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new BlobNotFoundException(parsed.ToString(), ex);
        }

        using var result = response.Value;

        // The size comes with the response headers: a blob that is too large is refused before its body is read.
        var length = result.Details.ContentLength;
        if (length > maxBytes || length > Array.MaxLength)
        {
            throw new BlobTooLargeException(parsed.ToString(), length, maxBytes);
        }

        var buffer = new byte[length];
        await result.Content.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer;
    }

    private async Task<byte[]> ReadRangeCoreAsync(string path, long offset, int maxBytes, CancellationToken cancellationToken = default)
    {
        var (_, blob) = GetBlob(path);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        try
        {
            var response = await blob.DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(offset, maxBytes) }, cancellationToken).ConfigureAwait(false);
            return response.Value.Content.ToArray();
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 416)
        {
            // 416: the range starts at or past the end of the blob.
            return [];
        }
    }

    private Task WriteCoreAsync(string path, ReadOnlyMemory<byte> content, string contentType, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken = default)
    {
        var (_, blob) = GetBlob(path);
        ArgumentNullException.ThrowIfNull(contentType);
        var options = new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            Metadata = BlobStoreRules.ValidateMetadata(metadata),
        };
        var data = BinaryData.FromBytes(content);
        return WithContainerAsync(blob.BlobContainerName, () => blob.UploadAsync(data, options, cancellationToken), cancellationToken);
    }

    private async Task<bool> WriteIfCoreAsync(string path, ReadOnlyMemory<byte> content, string contentType, IReadOnlyDictionary<string, string>? metadata, WriteCondition condition, CancellationToken cancellationToken = default)
    {
        var (_, blob) = GetBlob(path);
        ArgumentNullException.ThrowIfNull(contentType);
        ArgumentNullException.ThrowIfNull(condition);
        var options = new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            Metadata = BlobStoreRules.ValidateMetadata(metadata),
            Conditions = condition.ETag is null
                ? new BlobRequestConditions { IfNoneMatch = ETag.All }
                : new BlobRequestConditions { IfMatch = new ETag(condition.ETag) },
        };
        var data = BinaryData.FromBytes(content);
        try
        {
            await WithContainerAsync(blob.BlobContainerName, () => blob.UploadAsync(data, options, cancellationToken), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 412 || ex.ErrorCode == BlobErrorCode.BlobAlreadyExists)
        {
            // 409 BlobAlreadyExists: If-None-Match * found a blob; 412 ConditionNotMet: If-Match found another ETag.
            return false;
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && condition.ETag is not null)
        {
            // The blob seen has been deleted since: not the state the writer expected.
            return false;
        }
    }

    private async Task AppendLinesCoreAsync(string path, IEnumerable<string> lines, CancellationToken cancellationToken = default)
    {
        var (parsed, _) = GetBlob(path);
        var bytes = BlobStoreRules.EncodeLines(lines);
        if (bytes.Length == 0)
        {
            return;
        }

        var appendBlob = this.service.GetBlobContainerClient(parsed.Container).GetAppendBlobClient(parsed.Name);
        var maxBlock = appendBlob.AppendBlobMaxAppendBlockBytes;
        var offset = 0;
        while (offset < bytes.Length)
        {
            var count = BlockLength(bytes, offset, maxBlock);
            await AppendBlockAsync(appendBlob, bytes, offset, count, cancellationToken).ConfigureAwait(false);
            offset += count;
        }
    }

    private async Task<bool> DeleteCoreAsync(string path, CancellationToken cancellationToken = default)
    {
        var (_, blob) = GetBlob(path);
        var response = await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Value;
    }

    private async Task<bool> ExistsCoreAsync(string path, CancellationToken cancellationToken = default)
    {
        var (_, blob) = GetBlob(path);
        var response = await blob.ExistsAsync(cancellationToken).ConfigureAwait(false);
        return response.Value;
    }

    /// <summary>One form for every ETag, quoted as in HTTP headers (listings return them bare, properties quoted).</summary>
    private static string NormalizeETag(ETag? etag)
    {
        var value = etag?.ToString() ?? string.Empty;
        return value.Length == 0 ? value : $"\"{value.Trim('"')}\"";
    }

    private static async Task<BlobProperties?> TryGetPropertiesAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            var response = await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    private async Task AppendBlockAsync(AppendBlobClient appendBlob, byte[] bytes, int offset, int count, CancellationToken cancellationToken)
    {
        // Append first; create the blob (and its container) only when it turns out to be missing.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var stream = new MemoryStream(bytes, offset, count, writable: false);
                await appendBlob.AppendBlockAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RequestFailedException ex) when (attempt == 0 && ex.Status == 404)
            {
                await WithContainerAsync(
                    appendBlob.BlobContainerName,
                    () => appendBlob.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
                    cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>How many bytes from <paramref name="offset"/> go in one append block: whole lines where they fit.</summary>
    private static int BlockLength(byte[] bytes, int offset, int maxBlock)
    {
        var remaining = bytes.Length - offset;
        if (remaining <= maxBlock)
        {
            return remaining;
        }

        var lastNewline = Array.LastIndexOf(bytes, (byte)'\n', offset + maxBlock - 1, maxBlock);
        return lastNewline >= offset ? lastNewline - offset + 1 : maxBlock;
    }

    private async Task WithContainerAsync<T>(string containerName, Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            await operation().ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            await this.service.GetBlobContainerClient(containerName).CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await operation().ConfigureAwait(false);
        }
    }

    private (BlobPath Parsed, BlobClient Blob) GetBlob(string path)
    {
        var parsed = BlobPath.ParseBlob(path);
        ValidateContainerName(parsed.Container, path);
        return (parsed, this.service.GetBlobContainerClient(parsed.Container).GetBlobClient(parsed.Name));
    }

    private static BlobPath ParsePrefix(string prefix)
    {
        var parsed = BlobPath.ParsePrefix(prefix);
        ValidateContainerName(parsed.Container, prefix);
        return parsed;
    }

    private static void ValidateContainerName(string container, string path)
    {
        if (!ContainerName().IsMatch(container) || container.Contains("--", StringComparison.Ordinal))
        {
            throw new InvalidBlobPathException(path, $"'{container}' is not a valid Azure container name (3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit).");
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerName();
}
