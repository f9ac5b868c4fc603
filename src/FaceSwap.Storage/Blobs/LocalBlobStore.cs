using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceSwap.Storage;

/// <summary>
/// A blob store over local folders: containers are folders under a root, and <c>container/a/b.jpg</c> is
/// <c>root/container/a/b.jpg</c>. With the root <c>/</c>, a path is an absolute path without its leading slash.
/// </summary>
/// <remarks>
/// <para>Writes go to a hidden temporary file that is renamed over the target, so readers never see half a file.
/// Metadata and content type live in a JSON sidecar, <c>dir/.faceswap-meta/name.json</c> (a name too long for that gets
/// a sidecar named by its hash).</para>
/// <para>Listings skip hidden entries (names starting with '.', which includes sidecars and temporary files) and
/// anything that is not a regular file (FIFOs, sockets, devices), and do not descend into symbolically linked folders.
/// Paths that climb out of the root, directly or through a symbolic link (the sidecar folder's included), are rejected
/// with <see cref="InvalidBlobPathException"/>. Something other than a regular file is never opened
/// (<see cref="BlobNotRegularFileException"/>), and reads give up after a timeout (<see cref="BlobReadTimeoutException"/>).</para>
/// <para>The ETag of a file is its size and last-write time, so listing never reads content.</para>
/// </remarks>
public sealed partial class LocalBlobStore : IBlobStore, IResolvesLinks
{
    /// <summary>The hidden folder, beside each file, that holds the metadata sidecars.</summary>
    public const string MetadataFolderName = ".faceswap-meta";

    /// <summary>How long a read may take unless the store is created with another timeout.</summary>
    public static readonly TimeSpan DefaultReadTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The longest file name, in UTF-8 bytes, that Linux and macOS file systems take.</summary>
    private const int MaxNameBytes = 255;

    private readonly string root;
    private readonly string realRoot;
    private readonly bool rootIsFileSystemRoot;
    private readonly StripedAsyncLock appendLocks = new();
    private readonly StripedAsyncLock writeLocks = new();
    private readonly TimeSpan readTimeout;

    /// <summary>Creates a store whose containers are the folders under <paramref name="rootDirectory"/>.</summary>
    /// <param name="rootDirectory">The root folder; relative paths are resolved against the current directory.</param>
    public LocalBlobStore(string rootDirectory)
        : this(rootDirectory, DefaultReadTimeout)
    {
    }

    /// <summary>Creates a store whose containers are the folders under <paramref name="rootDirectory"/>.</summary>
    /// <param name="rootDirectory">The root folder; relative paths are resolved against the current directory.</param>
    /// <param name="readTimeout">How long opening and reading one file may take.</param>
    public LocalBlobStore(string rootDirectory, TimeSpan readTimeout)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootDirectory);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(readTimeout, TimeSpan.Zero);
        this.readTimeout = readTimeout;
        this.root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootDirectory));
        realRoot = Path.TrimEndingDirectorySeparator(FileSystemHelpers.RealPath(this.root));
        rootIsFileSystemRoot = string.Equals(realRoot, Path.GetPathRoot(realRoot), StringComparison.Ordinal);
    }

    /// <summary>The full path of the root folder.</summary>
    public string RootDirectory => this.root;

    /// <inheritdoc />
    public Task<BlobPage> ListAsync(string prefix, string? continuationToken, int pageSize, CancellationToken cancellationToken = default)
    {
        var parsed = BlobPath.ParsePrefix(prefix);
        BlobStoreRules.ValidatePageSize(pageSize);
        RejectReservedSegments(parsed, prefix);

        var lastSlash = parsed.Name.LastIndexOf('/');
        var folderKey = parsed.Name[..(lastSlash + 1)];
        var namePrefix = parsed.Name[(lastSlash + 1)..];
        var containerDirectory = Path.Join(this.root, parsed.Container);
        var startDirectory = Path.Join(containerDirectory, folderKey);
        EnsureInsideRoot(startDirectory, prefix);

        return Task.Run(
            () =>
            {
                var walker = new LocalDirectoryWalker(this, parsed.Container, continuationToken, pageSize + 1, cancellationToken);
                var items = walker.Walk(startDirectory, folderKey, namePrefix);
                if (items.Count <= pageSize)
                {
                    return new BlobPage(items, null);
                }

                items.RemoveAt(items.Count - 1);
                var last = items[^1].Path;
                return new BlobPage(items, last[(parsed.Container.Length + 1)..]);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<BlobItemInfo?> GetPropertiesAsync(string path, CancellationToken cancellationToken = default)
    {
        var (parsed, fullPath) = Resolve(path);
        var info = new FileInfo(fullPath);
        return Task.FromResult(info.Exists ? ToItem(parsed.ToString(), info) : null);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, string>?> GetMetadataAsync(string path, CancellationToken cancellationToken = default)
    {
        var (_, fullPath) = Resolve(path);
        var info = new FileInfo(fullPath);
        if (!info.Exists)
        {
            return null;
        }

        var sidecar = await ReadSidecarAsync(fullPath, path, cancellationToken).ConfigureAwait(false);

        // A sidecar written for other content (the file was replaced by something other than this store) says nothing.
        return sidecar is not null && string.Equals(sidecar.ContentETag, ETagOf(info), StringComparison.Ordinal)
            ? new Dictionary<string, string>(sidecar.Metadata, StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
    }

    /// <inheritdoc />
    public async Task<BlobStamp?> GetStampAsync(string path, CancellationToken cancellationToken = default)
    {
        var (_, fullPath) = Resolve(path);
        var info = new FileInfo(fullPath);
        if (!info.Exists)
        {
            return null;
        }

        var etag = ETagOf(info);
        var sidecar = await ReadSidecarAsync(fullPath, path, cancellationToken).ConfigureAwait(false);
        return new BlobStamp(etag, sidecar is not null && string.Equals(sidecar.ContentETag, etag, StringComparison.Ordinal)
            ? new Dictionary<string, string>(sidecar.Metadata, StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase));
    }

    /// <inheritdoc />
    public Task<byte[]> ReadAllBytesAsync(string path, long maxBytes, CancellationToken cancellationToken = default)
    {
        var (parsed, fullPath) = Resolve(path);
        BlobStoreRules.ValidateMaxBytes(maxBytes);
        RejectSpecialFile(fullPath, path);
        return WithReadTimeoutAsync(path, token => FileSystemHelpers.RetryOnSharingViolationAsync(
            async () =>
            {
                var stream = OpenForReading(fullPath, FileOptions.Asynchronous | FileOptions.SequentialScan)
                    ?? throw new BlobNotFoundException(parsed.ToString());

                await using (stream.ConfigureAwait(false))
                {
                    var length = stream.Length;
                    if (length > maxBytes || length > Array.MaxLength)
                    {
                        throw new BlobTooLargeException(parsed.ToString(), length, maxBytes);
                    }

                    var buffer = new byte[length];
                    await stream.ReadExactlyAsync(buffer, token).ConfigureAwait(false);
                    return buffer;
                }
            },
            token), cancellationToken);
    }

    /// <summary>
    /// Runs a read off the caller's thread (opening a file is a blocking call) and gives up after the read timeout: a
    /// file on a hung mount, or anything that passed the type check and still blocks, fails its one read instead of
    /// holding a job forever.
    /// </summary>
    internal async Task<T> WithReadTimeoutAsync<T>(string path, Func<CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(this.readTimeout);
        try
        {
            return await Task.Run(() => read(timeout.Token), CancellationToken.None).WaitAsync(this.readTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && (e is TimeoutException || (e is OperationCanceledException && timeout.IsCancellationRequested)))
        {
            throw new BlobReadTimeoutException(path, this.readTimeout);
        }
    }

    /// <summary>Refuses a FIFO, socket or device before anything opens it.</summary>
    private static void RejectSpecialFile(string fullPath, string path)
    {
        if (!FileSystemHelpers.IsRegularFileOrUnknown(fullPath) && !Directory.Exists(fullPath))
        {
            throw new BlobNotRegularFileException(path);
        }
    }

    /// <summary>Opens a blob's file for reading while writers may still append; null when there is no such blob.</summary>
    private static FileStream? OpenForReading(string fullPath, FileOptions options)
    {
        try
        {
            return new FileStream(fullPath, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                Options = options,
            });
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException
                                   || (ex is UnauthorizedAccessException && Directory.Exists(fullPath)))
        {
            return null;
        }
    }

    /// <inheritdoc />
    public Task<byte[]> ReadRangeAsync(string path, long offset, int maxBytes, CancellationToken cancellationToken = default)
    {
        var (_, fullPath) = Resolve(path);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        RejectSpecialFile(fullPath, path);
        return WithReadTimeoutAsync(path, token => FileSystemHelpers.RetryOnSharingViolationAsync(
            async () =>
            {
                if (OpenForReading(fullPath, FileOptions.Asynchronous) is not { } stream)
                {
                    return Array.Empty<byte>();
                }

                await using (stream.ConfigureAwait(false))
                {
                    if (offset >= stream.Length)
                    {
                        return Array.Empty<byte>();
                    }

                    stream.Position = offset;
                    var buffer = new byte[(int)Math.Min(maxBytes, stream.Length - offset)];
                    var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, token).ConfigureAwait(false);
                    return read == buffer.Length ? buffer : buffer[..read];
                }
            },
            token), cancellationToken);
    }

    /// <inheritdoc />
    public Task WriteAsync(string path, ReadOnlyMemory<byte> content, string contentType, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken = default)
    {
        var (_, fullPath) = Resolve(path);
        ArgumentNullException.ThrowIfNull(contentType);
        var validMetadata = BlobStoreRules.ValidateMetadata(metadata);

        // The sidecar is checked like the file itself, before either is written: a '.faceswap-meta' that is a symbolic
        // link out of the root must not carry the metadata write (or this file's content) anywhere.
        EnsureSidecarIsOurs(SidecarPath(fullPath), path);
        return FileSystemHelpers.RetryOnSharingViolationAsync(
            async () =>
            {
                return await WriteWithSidecarAsync(fullPath, content, contentType, validMetadata, replace: true, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<bool> WriteIfAsync(string path, ReadOnlyMemory<byte> content, string contentType, IReadOnlyDictionary<string, string>? metadata, WriteCondition condition, CancellationToken cancellationToken = default)
    {
        var (_, fullPath) = Resolve(path);
        ArgumentNullException.ThrowIfNull(contentType);
        ArgumentNullException.ThrowIfNull(condition);
        var validMetadata = BlobStoreRules.ValidateMetadata(metadata);
        EnsureSidecarIsOurs(SidecarPath(fullPath), path);

        // Writers of one process take turns per path, so the ETag compared is the ETag replaced; creating a file never
        // replaces one, which also holds against other processes.
        using var held = await writeLocks.AcquireAsync(fullPath, cancellationToken).ConfigureAwait(false);
        return await FileSystemHelpers.RetryOnSharingViolationAsync(
            async () =>
            {
                var info = new FileInfo(fullPath);
                if (condition.ETag is { } expected && (!info.Exists || !string.Equals(ETagOf(info), expected, StringComparison.Ordinal)))
                {
                    return false;
                }

                if (condition.ETag is null && info.Exists)
                {
                    return false; // before the sidecar is written, so the file that is there keeps its metadata
                }

                return await WriteWithSidecarAsync(fullPath, content, contentType, validMetadata, replace: condition.ETag is not null, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task AppendLinesAsync(string path, IEnumerable<string> lines, CancellationToken cancellationToken = default)
    {
        var (_, fullPath) = Resolve(path);
        var bytes = BlobStoreRules.EncodeLines(lines);

        // Appending to a FIFO would wait for a reader forever.
        RejectSpecialFile(fullPath, path);
        using var held = await appendLocks.AcquireAsync(fullPath, cancellationToken).ConfigureAwait(false);
        await FileSystemHelpers.RetryOnSharingViolationAsync(
            async () =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
                var stream = new FileStream(fullPath, new FileStreamOptions
                {
                    Mode = FileMode.Append,
                    Access = FileAccess.Write,
                    Share = FileShare.Read,
                    Options = FileOptions.Asynchronous,
                });
                await using (stream.ConfigureAwait(false))
                {
                    await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                    stream.Flush(flushToDisk: true);
                }

                return true;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        var (_, fullPath) = Resolve(path);
        EnsureSidecarIsOurs(SidecarPath(fullPath), path);
        return FileSystemHelpers.RetryOnSharingViolationAsync(
            () =>
            {
                if (!File.Exists(fullPath))
                {
                    return Task.FromResult(false);
                }

                File.Delete(fullPath);
                try
                {
                    File.Delete(SidecarPath(fullPath));
                }
                catch (DirectoryNotFoundException)
                {
                    // No sidecar folder, no sidecar.
                }

                return Task.FromResult(true);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken = default)
    {
        var (_, fullPath) = Resolve(path);
        return Task.FromResult(File.Exists(fullPath));
    }

    /// <inheritdoc />
    public string ResolvePrefix(string prefix)
    {
        var parsed = BlobPath.ParsePrefix(prefix);
        if (!prefix.EndsWith('/'))
        {
            throw new InvalidBlobPathException(prefix, "a folder prefix ends with '/'.");
        }

        var real = Path.TrimEndingDirectorySeparator(FileSystemHelpers.RealPath(Path.Join(this.root, parsed.Container, parsed.Name)));
        if (rootIsFileSystemRoot)
        {
            var path = real.TrimStart(Path.DirectorySeparatorChar).Replace(Path.DirectorySeparatorChar, '/');
            return path.Length == 0 ? string.Empty : path + "/";
        }

        if (!FileSystemHelpers.IsUnder(real, realRoot))
        {
            throw new InvalidBlobPathException(prefix, "it goes through a symbolic link that leads outside the store's root folder.");
        }

        var relative = Path.GetRelativePath(realRoot, real);
        return relative == "." ? string.Empty : relative.Replace(Path.DirectorySeparatorChar, '/') + "/";
    }

    /// <summary>Whether a file reached through a symbolic link found by a listing stays inside the root.</summary>
    internal bool IsInsideRoot(string fullPath)
        => rootIsFileSystemRoot || FileSystemHelpers.IsUnder(FileSystemHelpers.RealPath(fullPath), realRoot);

    internal static BlobItemInfo ToItem(string path, FileInfo info)
        => new(path, info.Length, ETagOf(info), new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero));

    /// <summary>
    /// The content and its sidecar, the sidecar first: it is written for the flushed temporary file (the rename keeps
    /// the size and write time its ETag is made of), so content in place always has its metadata. A crash between the
    /// two leaves the old content with a sidecar for other content, which says nothing: an idempotent writer redoes
    /// the work rather than wrongly skips it. Content first would leave a window where a finished output has no
    /// metadata, and a resumed job would write it a second time.
    /// </summary>
    private static Task<bool> WriteWithSidecarAsync(string fullPath, ReadOnlyMemory<byte> content, string contentType, Dictionary<string, string> metadata, bool replace, CancellationToken cancellationToken)
        => FileSystemHelpers.WriteAtomicallyAsync(fullPath, content, replace, cancellationToken, async written =>
        {
            var sidecar = new Sidecar(contentType, ETagOf(written), metadata);
            await FileSystemHelpers.WriteAtomicallyAsync(SidecarPath(fullPath), JsonSerializer.SerializeToUtf8Bytes(sidecar, SidecarJsonContext.Default.Sidecar), cancellationToken).ConfigureAwait(false);
        });

    private static string ETagOf(FileInfo info)
        => $"\"{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}\"";

    /// <summary>
    /// <c>dir/.faceswap-meta/name.json</c>; for a name so long that adding ".json" would pass the file system's limit,
    /// <c>dir/.faceswap-meta/~SHA256-OF-NAME.json</c>.
    /// </summary>
    private static string SidecarPath(string fullPath)
    {
        var name = Path.GetFileName(fullPath);
        var sidecarName = System.Text.Encoding.UTF8.GetByteCount(name) + ".json".Length <= MaxNameBytes
            ? name + ".json"
            : "~" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name))) + ".json";
        return Path.Join(Path.GetDirectoryName(fullPath), MetadataFolderName, sidecarName);
    }

    private async Task<Sidecar?> ReadSidecarAsync(string fullPath, string path, CancellationToken cancellationToken)
    {
        var sidecarPath = SidecarPath(fullPath);
        EnsureSidecarIsOurs(sidecarPath, path);
        if (!FileSystemHelpers.IsRegularFileOrUnknown(sidecarPath))
        {
            throw new BlobNotRegularFileException(path);
        }

        byte[] json;
        try
        {
            json = await File.ReadAllBytesAsync(sidecarPath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(json, SidecarJsonContext.Default.Sidecar);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The metadata file '{sidecarPath}' is not valid JSON: {ex.Message}", ex);
        }
    }

    private (BlobPath Parsed, string FullPath) Resolve(string path)
    {
        var parsed = BlobPath.ParseBlob(path);
        RejectReservedSegments(parsed, path);
        var fullPath = Path.Join(this.root, parsed.Container, parsed.Name);
        EnsureInsideRoot(fullPath, path);
        return (parsed, fullPath);
    }

    /// <summary>
    /// Rejects a sidecar reached through a symbolic link: neither the <c>.faceswap-meta</c> folder nor the sidecar file
    /// may be a link (this store never makes one, so a link there was planted), and nothing on the way may lead out of
    /// the root. This holds with the file system root too, where image paths may go anywhere.
    /// </summary>
    private void EnsureSidecarIsOurs(string sidecarPath, string originalPath)
    {
        if (new FileInfo(Path.GetDirectoryName(sidecarPath)!).LinkTarget is not null || new FileInfo(sidecarPath).LinkTarget is not null)
        {
            throw new InvalidBlobPathException(originalPath, $"its metadata folder '{MetadataFolderName}' (or the metadata file in it) is a symbolic link.");
        }

        EnsureInsideRoot(sidecarPath, originalPath);
    }

    private static void RejectReservedSegments(BlobPath parsed, string path)
    {
        if (parsed.Container == MetadataFolderName || parsed.Name.Split('/').Contains(MetadataFolderName, StringComparer.Ordinal))
        {
            throw new InvalidBlobPathException(path, $"'{MetadataFolderName}' is reserved for metadata sidecars.");
        }
    }

    /// <summary>Rejects a path when one of its existing parts is a symbolic link that leads outside the root.</summary>
    private void EnsureInsideRoot(string fullPath, string originalPath)
    {
        if (rootIsFileSystemRoot)
        {
            return;
        }

        var current = this.root;
        foreach (var segment in fullPath[this.root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Join(current, segment);
            var info = new FileInfo(current);
            if (info.LinkTarget is not null)
            {
                if (!FileSystemHelpers.IsUnder(FileSystemHelpers.RealPath(current), realRoot))
                {
                    throw new InvalidBlobPathException(originalPath, "it goes through a symbolic link that leads outside the store's root folder.");
                }
            }
            else if (!info.Exists && !Directory.Exists(current))
            {
                return;
            }
        }
    }

    internal sealed record Sidecar(
        [property: JsonPropertyName("contentType")] string ContentType,
        [property: JsonPropertyName("contentETag")] string ContentETag,
        [property: JsonPropertyName("metadata")] Dictionary<string, string> Metadata);

    [JsonSerializable(typeof(Sidecar))]
    [JsonSourceGenerationOptions(WriteIndented = false)]
    internal sealed partial class SidecarJsonContext : JsonSerializerContext;
}
