using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace FaceSwap.Storage;

/// <summary>
/// Grain storage in local files, for the embedded mode: one file per grain state,
/// <c>root/&lt;state name&gt;/&lt;grain id&gt;.json</c> (names escaped to be file-system safe).
/// </summary>
/// <remarks>
/// <para>Writes go to a temporary file that is flushed and renamed over the old one. The ETag is the hex SHA-256 of the
/// file's bytes; a write or clear whose ETag differs from the file's (or that expects no file while one exists) throws
/// <see cref="InconsistentStateException"/>, like Orleans' own providers. Within a process, the check and the rename
/// are made atomic by a lock per file; the folder is not meant to be shared by several silos.</para>
/// <para>A file that cannot be deserialized throws <see cref="LocalFileGrainStorageException"/> naming the file; the
/// activation fails, the silo does not.</para>
/// </remarks>
public sealed partial class LocalFileGrainStorage : IGrainStorage
{
    private const int MaxFileNameLength = 200;

    private readonly string name;
    private readonly string root;
    private readonly IGrainStorageSerializer serializer;
    private readonly IActivatorProvider activatorProvider;
    private readonly ILogger<LocalFileGrainStorage> logger;
    private readonly StripedAsyncLock locks = new(256);

    /// <summary>Creates the provider called <paramref name="name"/>.</summary>
    public LocalFileGrainStorage(
        string name,
        LocalFileGrainStorageOptions options,
        IActivatorProvider activatorProvider,
        ILogger<LocalFileGrainStorage> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.RootDirectory);
        this.name = name;
        this.root = Path.GetFullPath(options.RootDirectory);
        serializer = options.GrainStorageSerializer
            ?? throw new ArgumentException($"{nameof(LocalFileGrainStorageOptions)}.{nameof(LocalFileGrainStorageOptions.GrainStorageSerializer)} is not set.", nameof(options));
        this.activatorProvider = activatorProvider;
        this.logger = logger;
    }

    /// <summary>Creates the provider called <paramref name="name"/> from the silo's services (used by the registration).</summary>
    public static LocalFileGrainStorage Create(IServiceProvider services, string name)
    {
        var options = services.GetRequiredService<IOptionsMonitor<LocalFileGrainStorageOptions>>().Get(name);
        return ActivatorUtilities.CreateInstance<LocalFileGrainStorage>(services, name, options);
    }

    /// <summary>The full path of the file that holds a grain's state (whether or not it exists).</summary>
    public string GetFilePath(string stateName, GrainId grainId)
        => Path.Join(this.root, Escape(stateName), Escape(grainId.ToString()) + ".json");

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = GetFilePath(stateName, grainId);
        var bytes = await TryReadAsync(path).ConfigureAwait(false);
        if (bytes is null)
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
            grainState.State = CreateInstance<T>();
            LogStateNotFound(stateName, grainId, path);
            return;
        }

        T? state;
        try
        {
            state = serializer.Deserialize<T>(new BinaryData(bytes));
        }
        catch (Exception ex)
        {
            LogCorruptedState(ex, stateName, grainId, path);
            throw new LocalFileGrainStorageException(
                $"Grain storage '{this.name}' cannot read the state '{stateName}' of grain {grainId}: the file '{path}' is not a valid {typeof(T).Name} ({ex.Message}). Repair or delete the file.",
                path,
                ex);
        }

        grainState.ETag = HashOf(bytes);
        grainState.RecordExists = state is not null;
        grainState.State = state ?? CreateInstance<T>();
        LogStateRead(stateName, grainId, path, grainState.ETag);
    }

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = GetFilePath(stateName, grainId);
        var bytes = serializer.Serialize(grainState.State).ToMemory();
        var newETag = HashOf(bytes.Span);
        using (await locks.AcquireAsync(path, CancellationToken.None).ConfigureAwait(false))
        {
            await EnsureETagMatchesAsync(nameof(WriteStateAsync), stateName, grainId, grainState.ETag, path).ConfigureAwait(false);
            await FileSystemHelpers.RetryOnSharingViolationAsync(
                async () =>
                {
                    await FileSystemHelpers.WriteAtomicallyAsync(path, bytes, CancellationToken.None).ConfigureAwait(false);
                    return true;
                },
                CancellationToken.None).ConfigureAwait(false);
        }

        grainState.ETag = newETag;
        grainState.RecordExists = true;
        LogStateWritten(stateName, grainId, path, newETag);
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = GetFilePath(stateName, grainId);
        using (await locks.AcquireAsync(path, CancellationToken.None).ConfigureAwait(false))
        {
            await EnsureETagMatchesAsync(nameof(ClearStateAsync), stateName, grainId, grainState.ETag, path).ConfigureAwait(false);
            File.Delete(path);
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = CreateInstance<T>();
        LogStateCleared(stateName, grainId, path);
    }

    private async Task EnsureETagMatchesAsync(string operation, string stateName, GrainId grainId, string? expected, string path)
    {
        var bytes = await TryReadAsync(path).ConfigureAwait(false);
        var stored = bytes is null ? null : HashOf(bytes);
        var current = string.IsNullOrEmpty(expected) ? null : expected;
        if (!string.Equals(stored, current, StringComparison.Ordinal))
        {
            LogETagMismatch(operation, stateName, grainId, path, stored, current);
            throw new InconsistentStateException(
                $"Version conflict ({operation}): grain storage '{this.name}', state '{stateName}', grain {grainId}, file '{path}': " +
                $"stored ETag {stored ?? "(none: no file)"}, grain's ETag {current ?? "(none: expects no file)"}.",
                stored,
                current,
                null);
        }
    }

    private static Task<byte[]?> TryReadAsync(string path)
        => FileSystemHelpers.RetryOnSharingViolationAsync<byte[]?>(
            async () =>
            {
                try
                {
                    return await File.ReadAllBytesAsync(path).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
                {
                    return null;
                }
            },
            CancellationToken.None);

    private T CreateInstance<T>() => this.activatorProvider.GetActivator<T>().Create();

    private static string HashOf(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>
    /// Makes a name file-system safe and reversible: ASCII letters, digits, '-' and '_' stay; every other UTF-8 byte
    /// becomes <c>%XX</c> (so '/' and '.' never reach the file system). Very long names are shortened and end with a hash.
    /// </summary>
    internal static string Escape(string value)
    {
        var builder = new StringBuilder(value.Length + 16);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in value.EnumerateRunes())
        {
            if (rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || rune.Value is '-' or '_'))
            {
                builder.Append((char)rune.Value);
                continue;
            }

            var count = rune.EncodeToUtf8(utf8);
            foreach (var b in utf8[..count])
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        if (builder.Length <= MaxFileNameLength)
        {
            return builder.ToString();
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..32];
        return builder.ToString(0, MaxFileNameLength - 33) + "~" + hash;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Trace, Message = "State {StateName} of {GrainId} not found in {Path}")]
    private partial void LogStateNotFound(string stateName, GrainId grainId, string path);

    [LoggerMessage(EventId = 2, Level = LogLevel.Trace, Message = "Read state {StateName} of {GrainId} from {Path}, ETag {ETag}")]
    private partial void LogStateRead(string stateName, GrainId grainId, string path, string eTag);

    [LoggerMessage(EventId = 3, Level = LogLevel.Trace, Message = "Wrote state {StateName} of {GrainId} to {Path}, ETag {ETag}")]
    private partial void LogStateWritten(string stateName, GrainId grainId, string path, string eTag);

    [LoggerMessage(EventId = 4, Level = LogLevel.Trace, Message = "Cleared state {StateName} of {GrainId}: deleted {Path}")]
    private partial void LogStateCleared(string stateName, GrainId grainId, string path);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "{Operation}: ETag mismatch for state {StateName} of {GrainId} in {Path}: stored {StoredETag}, expected {ExpectedETag}")]
    private partial void LogETagMismatch(string operation, string stateName, GrainId grainId, string path, string? storedETag, string? expectedETag);

    [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "State {StateName} of {GrainId} in {Path} cannot be deserialized")]
    private partial void LogCorruptedState(Exception exception, string stateName, GrainId grainId, string path);
}
