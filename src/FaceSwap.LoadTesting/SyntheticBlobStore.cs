using System.Diagnostics;
using System.Globalization;
using FaceSwap.Storage;

namespace FaceSwap.LoadTesting;

/// <summary>
/// A load-testing store (for `faceswap bench --storage synthetic`, never for real jobs): it lists <see cref="Count"/>
/// generated image names under nested folders of <see cref="InputPrefix"/>, answers reads of them with a few fixed
/// bytes, and accepts writes of their outputs under <see cref="OutputPrefix"/> without keeping them: one bit per image
/// says an output exists, and counters tell distinct writes from duplicates, so exactly-once can be counted. Memory
/// is fixed at construction (N bits and a latency histogram), whatever the job's progress.
/// Everything else (the job's own files: outcomes manifest, summary, status, audit log, the source face) goes to the
/// real <paramref name="inner"/> store, so outcomes and summaries are real files.
/// </summary>
/// <remarks>
/// Output metadata is kept once, from the latest output write, not per image: the store serves one job's spec at a
/// time, which is what a benchmark runs.
/// </remarks>
public sealed class SyntheticBlobStore(IBlobStore inner, string inputPrefix, string outputPrefix, int count) : IBlobStore
{
    /// <summary>Size every synthetic input claims and has.</summary>
    public const int InputSize = 64;

    private const string FileStem = "img";
    private const int IndexDigits = 8;
    private const int MaxListings = 8192;
    private static readonly byte[] InputBytes = Enumerable.Range(0, InputSize).Select(i => (byte)i).ToArray();
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly int[] outputBits = new int[(count + 31) / 32];
    private readonly LatencyHistogram latency = new();
    private readonly List<(int FirstIndex, long Timestamp)> listings = [];
    private readonly Lock listingsLock = new();
    private OutputMetadataTemplate? outputMetadata;
    private long distinctWrites;
    private long duplicateWrites;
    private long reads;
    private long metadataReads;
    private long appends;
    private long appendTicks;

    /// <summary>Where the generated inputs live ("container/folder/").</summary>
    public string InputPrefix { get; } = inputPrefix.EndsWith('/') ? inputPrefix : inputPrefix + "/";

    /// <summary>Where outputs of the inputs are accepted ("container/folder/").</summary>
    public string OutputPrefix { get; } = outputPrefix.EndsWith('/') ? outputPrefix : outputPrefix + "/";

    /// <summary>How many inputs are listed.</summary>
    public int Count { get; } = count;

    /// <summary>Outputs written for the first time.</summary>
    public long DistinctWrites => Interlocked.Read(ref distinctWrites);

    /// <summary>Outputs written again although they already existed.</summary>
    public long DuplicateWrites => Interlocked.Read(ref duplicateWrites);

    /// <summary>Input reads.</summary>
    public long Reads => Interlocked.Read(ref reads);

    /// <summary>Output metadata look-ups (the skip check).</summary>
    public long MetadataReads => Interlocked.Read(ref metadataReads);

    /// <summary>Appends to the job's files (outcome manifests) passed to the inner store.</summary>
    public long Appends => Interlocked.Read(ref appends);

    /// <summary>Wall time of those appends, summed (appends in parallel overlap).</summary>
    public TimeSpan AppendTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref appendTicks));

    /// <summary>Time from an image's listing to its outcome line in a manifest.</summary>
    public LatencyHistogram ListingToOutcome => latency;

    /// <summary>The relative name of input <paramref name="index"/>: nested folders, ordinal order equal to index order.</summary>
    public static string RelativeName(int index) =>
        string.Create(CultureInfo.InvariantCulture, $"d{index / 100_000:D3}/e{index / 1000 % 100:D2}/{FileStem}{index.ToString("D" + IndexDigits, CultureInfo.InvariantCulture)}.jpg");

    /// <summary>The ETag of input <paramref name="index"/>.</summary>
    public static string ETagOf(int index) => string.Create(CultureInfo.InvariantCulture, $"\"0x{index:X8}\"");

    /// <inheritdoc />
    public Task<BlobPage> ListAsync(string prefix, string? continuationToken, int pageSize, CancellationToken cancellationToken = default)
    {
        if (!InputPrefix.StartsWith(prefix, StringComparison.Ordinal))
        {
            return inner.ListAsync(prefix, continuationToken, pageSize, cancellationToken);
        }

        var start = continuationToken is null ? 0 : int.Parse(continuationToken, CultureInfo.InvariantCulture);
        var end = (int)Math.Min(Count, (long)start + Math.Clamp(pageSize, 1, 5000));
        lock (listingsLock)
        {
            if (listings.Count >= MaxListings)
            {
                // Pages in flight are the last few listed; the oldest half is long done.
                listings.RemoveRange(0, MaxListings / 2);
            }

            listings.Add((start, Stopwatch.GetTimestamp()));
        }

        var items = new BlobItemInfo[end - start];
        for (var i = start; i < end; i++)
        {
            items[i - start] = Info(InputPrefix, i);
        }

        return Task.FromResult(new BlobPage(items, end < Count ? end.ToString(CultureInfo.InvariantCulture) : null));
    }

    /// <inheritdoc />
    public Task<BlobItemInfo?> GetPropertiesAsync(string path, CancellationToken cancellationToken = default)
    {
        if (TryParse(path, InputPrefix, out var input))
        {
            return Task.FromResult<BlobItemInfo?>(Info(InputPrefix, input));
        }

        if (TryParse(path, OutputPrefix, out var output))
        {
            return Task.FromResult(HasOutput(output) ? Info(OutputPrefix, output) : null);
        }

        return inner.GetPropertiesAsync(path, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, string>?> GetMetadataAsync(string path, CancellationToken cancellationToken = default)
    {
        if (TryParse(path, OutputPrefix, out var output))
        {
            Interlocked.Increment(ref metadataReads);
            return Task.FromResult(HasOutput(output) ? outputMetadata?.For(ETagOf(output)) : null);
        }

        return TryParse(path, InputPrefix, out _)
            ? Task.FromResult<IReadOnlyDictionary<string, string>?>(new Dictionary<string, string>())
            : inner.GetMetadataAsync(path, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<BlobStamp?> GetStampAsync(string path, CancellationToken cancellationToken = default)
    {
        var properties = await GetPropertiesAsync(path, cancellationToken).ConfigureAwait(false);
        return properties is null
            ? null
            : TryParse(path, OutputPrefix, out _) || TryParse(path, InputPrefix, out _)
                ? new BlobStamp(properties.ETag, await GetMetadataAsync(path, cancellationToken).ConfigureAwait(false) ?? new Dictionary<string, string>())
                : await inner.GetStampAsync(path, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<byte[]> ReadAllBytesAsync(string path, long maxBytes, CancellationToken cancellationToken = default)
    {
        if (TryParse(path, InputPrefix, out _))
        {
            Interlocked.Increment(ref reads);
            return maxBytes < InputSize
                ? Task.FromException<byte[]>(new BlobTooLargeException(path, InputSize, maxBytes))
                : Task.FromResult(InputBytes);
        }

        return TryParse(path, OutputPrefix, out var output)
            ? Task.FromException<byte[]>(new BlobNotFoundException(path))
            : inner.ReadAllBytesAsync(path, maxBytes, cancellationToken);
    }

    /// <inheritdoc />
    public Task<byte[]> ReadRangeAsync(string path, long offset, int maxBytes, CancellationToken cancellationToken = default) =>
        IsSynthetic(path) ? Task.FromResult(Array.Empty<byte>()) : inner.ReadRangeAsync(path, offset, maxBytes, cancellationToken);

    /// <inheritdoc />
    public Task WriteAsync(string path, ReadOnlyMemory<byte> content, string contentType, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken = default)
    {
        if (TryParse(path, OutputPrefix, out var output))
        {
            if (metadata is not null && outputMetadata?.Matches(metadata, ETagOf(output)) != true)
            {
                outputMetadata = new OutputMetadataTemplate(metadata, ETagOf(output));
            }

            var mask = 1 << (output & 31);
            var before = Interlocked.Or(ref outputBits[output >> 5], mask);
            Interlocked.Increment(ref (before & mask) == 0 ? ref distinctWrites : ref duplicateWrites);
            return Task.CompletedTask;
        }

        if (TryParse(path, InputPrefix, out _))
        {
            return Task.FromException(new IOException($"synthetic inputs are read-only: {path}"));
        }

        return inner.WriteAsync(path, content, contentType, metadata, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<bool> WriteIfAsync(string path, ReadOnlyMemory<byte> content, string contentType, IReadOnlyDictionary<string, string>? metadata, WriteCondition condition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        if (!TryParse(path, OutputPrefix, out var output))
        {
            return TryParse(path, InputPrefix, out _)
                ? throw new IOException($"synthetic inputs are read-only: {path}")
                : await inner.WriteIfAsync(path, content, contentType, metadata, condition, cancellationToken).ConfigureAwait(false);
        }

        // An output's ETag is fixed (its input's): "unchanged" holds once it exists; "absent" is claimed by setting its bit.
        if (condition.ETag is not null)
        {
            if (!HasOutput(output) || condition.ETag != ETagOf(output))
            {
                return false;
            }

            await WriteAsync(path, content, contentType, metadata, cancellationToken).ConfigureAwait(false);
            return true;
        }

        var mask = 1 << (output & 31);
        if ((Interlocked.Or(ref outputBits[output >> 5], mask) & mask) != 0)
        {
            return false;
        }

        if (metadata is not null && outputMetadata?.Matches(metadata, ETagOf(output)) != true)
        {
            outputMetadata = new OutputMetadataTemplate(metadata, ETagOf(output));
        }

        Interlocked.Increment(ref distinctWrites);
        return true;
    }

    /// <inheritdoc />
    public Task AppendLinesAsync(string path, IEnumerable<string> lines, CancellationToken cancellationToken = default)
    {
        if (IsSynthetic(path))
        {
            return Task.FromException(new IOException($"synthetic images are not append blobs: {path}"));
        }

        var list = lines as IReadOnlyList<string> ?? lines.ToList();
        var now = Stopwatch.GetTimestamp();
        foreach (var line in list)
        {
            if (IndexInLine(line) is { } index && ListedAt(index) is { } listed)
            {
                latency.Record(Stopwatch.GetElapsedTime(listed, now).TotalMilliseconds);
            }
        }

        return TimedAppendAsync(path, list, cancellationToken);
    }

    private async Task TimedAppendAsync(string path, IReadOnlyList<string> lines, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await inner.AppendLinesAsync(path, lines, cancellationToken);
        }
        finally
        {
            Interlocked.Add(ref appendTicks, Stopwatch.GetTimestamp() - started);
            Interlocked.Increment(ref appends);
        }
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        if (TryParse(path, OutputPrefix, out var output))
        {
            var mask = 1 << (output & 31);
            return Task.FromResult((Interlocked.And(ref outputBits[output >> 5], ~mask) & mask) != 0);
        }

        return TryParse(path, InputPrefix, out _) ? Task.FromResult(false) : inner.DeleteAsync(path, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken = default)
    {
        if (TryParse(path, InputPrefix, out _))
        {
            return Task.FromResult(true);
        }

        return TryParse(path, OutputPrefix, out var output) ? Task.FromResult(HasOutput(output)) : inner.ExistsAsync(path, cancellationToken);
    }

    /// <summary>Whether output <paramref name="index"/> has been written.</summary>
    public bool HasOutput(int index) => (Volatile.Read(ref outputBits[index >> 5]) & (1 << (index & 31))) != 0;

    private bool IsSynthetic(string path) => TryParse(path, InputPrefix, out _) || TryParse(path, OutputPrefix, out _);

    private BlobItemInfo Info(string prefix, int index) => new(prefix + RelativeName(index), InputSize, ETagOf(index), Epoch);

    /// <summary>Parses "prefix" + <see cref="RelativeName"/> back to its index; false for any other path.</summary>
    private bool TryParse(string path, string prefix, out int index)
    {
        index = -1;
        if (!path.StartsWith(prefix, StringComparison.Ordinal) || !path.EndsWith(".jpg", StringComparison.Ordinal))
        {
            return false;
        }

        var digits = path.AsSpan(path.Length - 4 - IndexDigits, IndexDigits);
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out index)
               && index < Count
               && path.Length == prefix.Length + RelativeName(index).Length
               && path.AsSpan(prefix.Length).SequenceEqual(RelativeName(index));
    }

    /// <summary>The index in an outcome line's relative path ("...img00001234.jpg"), without parsing the JSON.</summary>
    private static int? IndexInLine(string line)
    {
        var at = line.IndexOf(FileStem, StringComparison.Ordinal);
        if (at < 0 || at + FileStem.Length + IndexDigits > line.Length)
        {
            return null;
        }

        return int.TryParse(line.AsSpan(at + FileStem.Length, IndexDigits), NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : null;
    }

    /// <summary>When the latest listing that covered <paramref name="index"/> ran (listings start at increasing or restarted indices).</summary>
    private long? ListedAt(int index)
    {
        lock (listingsLock)
        {
            for (var i = listings.Count - 1; i >= 0; i--)
            {
                if (listings[i].FirstIndex <= index)
                {
                    return listings[i].Timestamp;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The metadata of outputs, kept once: values equal to the written image's input ETag (the skip check compares
    /// them) are remembered by key and given each image's own ETag when read back.
    /// </summary>
    private sealed class OutputMetadataTemplate
    {
        private readonly Dictionary<string, string> values;
        private readonly string[] etagKeys;

        public OutputMetadataTemplate(IReadOnlyDictionary<string, string> metadata, string etag)
        {
            values = new Dictionary<string, string>(metadata, StringComparer.Ordinal);
            etagKeys = values.Where(kv => kv.Value == etag).Select(kv => kv.Key).ToArray();
        }

        public bool Matches(IReadOnlyDictionary<string, string> metadata, string etag) =>
            metadata.Count == values.Count
            && metadata.All(kv => values.TryGetValue(kv.Key, out var value) && (value == kv.Value || (etagKeys.Contains(kv.Key) && kv.Value == etag)));

        public IReadOnlyDictionary<string, string> For(string etag)
        {
            var copy = new Dictionary<string, string>(values, StringComparer.Ordinal);
            foreach (var key in etagKeys)
            {
                copy[key] = etag;
            }

            return copy;
        }
    }
}
