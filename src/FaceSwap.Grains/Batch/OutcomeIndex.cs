using System.Buffers.Binary;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// An index of a job's outcomes manifest, kept beside it (<c>outcomes.idx</c>): for the latest outcome of each image, in
/// the order of those latest lines, where its line is (offset and length), listed once for all images, once per status,
/// and once more for those with faces to review (in all and per status). A page of results then costs two small range
/// reads (its records, then its lines) however long the manifest is; so do a gallery sample and a list of failures.
/// </summary>
/// <remarks>
/// The index says how many manifest bytes it covers. It is built in one pass over the manifest in ranges, keeping a
/// 64-bit hash of each path and its line's place (a few dozen bytes per image, never the outcomes), and built again
/// only when the manifest has grown past it: for a finished job, once; while a job runs, at most every
/// <c>maxAge</c> the caller allows (in between it serves the outcomes it covers).
/// </remarks>
public sealed class OutcomeIndex
{
    private const int HeaderBytes = 128;
    private const int RecordBytes = 12;
    private const int Sections = 10;
    private const int ReviewSections = 5;
    private static readonly byte[] Magic = "FSOIDX01"u8.ToArray();

    private readonly IBlobStore store;
    private readonly string manifest;
    private readonly string path;
    private readonly long[] counts;

    private OutcomeIndex(IBlobStore store, string manifest, string path, long[] counts)
    {
        this.store = store;
        this.manifest = manifest;
        this.path = path;
        this.counts = counts;
    }

    /// <summary>Where the index of <paramref name="manifest"/> lives.</summary>
    public static string PathOf(string manifest) => Path.ChangeExtension(manifest, ".idx");

    /// <summary>How many latest outcomes match a filter (status, and with faces to review).</summary>
    public long Count(ImageStatus? status = null, bool review = false) => counts[Section(status, review)];

    /// <summary>
    /// The index of <paramref name="manifest"/>: the stored one when it covers the whole manifest (or is younger than
    /// <paramref name="maxAge"/>), otherwise built now and stored.
    /// </summary>
    public static async Task<OutcomeIndex> OpenAsync(IBlobStore store, string manifest, TimeSpan maxAge = default, CancellationToken cancellationToken = default)
    {
        var path = PathOf(manifest);
        var length = (await store.GetPropertiesAsync(manifest, cancellationToken))?.Size ?? 0;
        var header = await store.ReadRangeAsync(path, 0, HeaderBytes, cancellationToken);
        if (header.Length == HeaderBytes && header.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            var covered = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(8));
            var fresh = covered == length
                || (covered < length && maxAge > TimeSpan.Zero && (await store.GetPropertiesAsync(path, cancellationToken))?.LastModified > DateTimeOffset.UtcNow - maxAge);
            if (fresh)
            {
                return new OutcomeIndex(store, manifest, path, ReadCounts(header));
            }
        }

        return await BuildAsync(store, manifest, path, cancellationToken);
    }

    /// <summary>Latest outcomes <paramref name="start"/> to <paramref name="start"/> + <paramref name="take"/> of a filter, in order.</summary>
    public async Task<IReadOnlyList<ImageOutcome>> PageAsync(ImageStatus? status, bool review, long start, int take, CancellationToken cancellationToken = default)
    {
        var section = Section(status, review);
        take = (int)Math.Clamp(counts[section] - start, 0, take);
        if (take == 0)
        {
            return [];
        }

        var records = await store.ReadRangeAsync(path, SectionStart(section) + (start * RecordBytes), take * RecordBytes, cancellationToken);
        return await ReadLinesAsync(Enumerable.Range(0, records.Length / RecordBytes).Select(i => Record(records, i)).ToList(), cancellationToken);
    }

    /// <summary>The latest outcomes of a filter at the given positions (each below its count), in that order.</summary>
    public async Task<IReadOnlyList<ImageOutcome>> AtAsync(ImageStatus? status, IReadOnlyList<long> positions, CancellationToken cancellationToken = default)
    {
        var section = Section(status, review: false);
        var records = new List<(long Offset, int Length)>(positions.Count);
        foreach (var position in positions)
        {
            records.Add(Record(await store.ReadRangeAsync(path, SectionStart(section) + (position * RecordBytes), RecordBytes, cancellationToken), 0));
        }

        return await ReadLinesAsync(records, cancellationToken);
    }

    /// <summary>Every latest outcome of a filter, a page at a time (memory holds one page).</summary>
    public async IAsyncEnumerable<ImageOutcome> EachAsync(ImageStatus? status = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        const int Page = 500;
        for (long start = 0; start < Count(status); start += Page)
        {
            foreach (var outcome in await PageAsync(status, review: false, start, Page, cancellationToken))
            {
                yield return outcome;
            }
        }
    }

    private static int Section(ImageStatus? status, bool review) =>
        (review ? ReviewSections : 0) + (status is { } s ? 1 + (int)s : 0);

    private long SectionStart(int section)
    {
        long start = HeaderBytes;
        for (var i = 0; i < section; i++)
        {
            start += counts[i] * RecordBytes;
        }

        return start;
    }

    private static (long Offset, int Length) Record(byte[] bytes, int index) =>
        (BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(index * RecordBytes)), BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan((index * RecordBytes) + 8)));

    /// <summary>Reads the lines of the records, one range read per run of adjacent lines.</summary>
    private async Task<IReadOnlyList<ImageOutcome>> ReadLinesAsync(IReadOnlyList<(long Offset, int Length)> records, CancellationToken cancellationToken)
    {
        var outcomes = new List<ImageOutcome>(records.Count);
        var i = 0;
        while (i < records.Count)
        {
            var first = records[i];
            var end = i + 1;
            var bytes = (long)first.Length;
            while (end < records.Count && records[end].Offset == first.Offset + bytes && bytes + records[end].Length < int.MaxValue / 2)
            {
                bytes += records[end++].Length;
            }

            var text = await store.ReadRangeAsync(manifest, first.Offset, (int)bytes, cancellationToken);
            var at = 0;
            for (var r = i; r < end; r++)
            {
                var length = Math.Min(records[r].Length, text.Length - at);
                if (length > 0 && JobOutcomes.Parse(text.AsSpan(at, length)) is { } outcome)
                {
                    outcomes.Add(outcome);
                }

                at += records[r].Length;
            }

            i = end;
        }

        return outcomes;
    }

    private static long[] ReadCounts(byte[] header)
    {
        var counts = new long[Sections];
        for (var i = 0; i < Sections; i++)
        {
            counts[i] = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16 + (i * 8)));
        }

        return counts;
    }

    private static async Task<OutcomeIndex> BuildAsync(IBlobStore store, string manifest, string path, CancellationToken cancellationToken)
    {
        const int Chunk = 64 << 10;
        var entries = new List<Entry>();
        var latestByPath = new Dictionary<ulong, int>();
        long offset = 0;
        var carry = Array.Empty<byte>();
        while (true)
        {
            var bytes = await store.ReadRangeAsync(manifest, offset, Chunk, cancellationToken);
            if (bytes.Length == 0)
            {
                break;
            }

            var textStart = offset - carry.Length;
            offset += bytes.Length;
            var text = carry.Length == 0 ? bytes : [.. carry, .. bytes];
            var lineStart = 0;
            while (Array.IndexOf(text, (byte)'\n', lineStart) is var newline and >= 0)
            {
                if (JobOutcomes.Parse(text.AsSpan(lineStart, newline - lineStart)) is { } outcome)
                {
                    var key = PathHash(outcome.Path);
                    if (latestByPath.TryGetValue(key, out var earlier))
                    {
                        entries[earlier] = entries[earlier] with { Superseded = true };
                    }

                    latestByPath[key] = entries.Count;
                    entries.Add(new Entry(textStart + lineStart, newline - lineStart + 1, outcome.Status, outcome.FacesToReview > 0, false));
                }

                lineStart = newline + 1;
            }

            carry = text[lineStart..];
        }

        var covered = offset - carry.Length;
        var counts = new long[Sections];
        var latest = entries.Where(e => !e.Superseded).ToList();
        foreach (var entry in latest)
        {
            foreach (var section in SectionsOf(entry))
            {
                counts[section]++;
            }
        }

        var index = new byte[HeaderBytes + (counts.Sum() * RecordBytes)];
        Magic.CopyTo(index, 0);
        BinaryPrimitives.WriteInt64LittleEndian(index.AsSpan(8), covered);
        for (var i = 0; i < Sections; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(index.AsSpan(16 + (i * 8)), counts[i]);
        }

        var result = new OutcomeIndex(store, manifest, path, counts);
        var next = Enumerable.Range(0, Sections).Select(result.SectionStart).ToArray();
        foreach (var entry in latest)
        {
            foreach (var section in SectionsOf(entry))
            {
                BinaryPrimitives.WriteInt64LittleEndian(index.AsSpan((int)next[section]), entry.Offset);
                BinaryPrimitives.WriteInt32LittleEndian(index.AsSpan((int)next[section] + 8), entry.Length);
                next[section] += RecordBytes;
            }
        }

        if (covered > 0)
        {
            await store.WriteAsync(path, index, "application/octet-stream", null, cancellationToken);
        }

        return result;
    }

    private static IEnumerable<int> SectionsOf(Entry entry)
    {
        yield return Section(null, false);
        yield return Section(entry.Status, false);
        if (entry.Review)
        {
            yield return Section(null, true);
            yield return Section(entry.Status, true);
        }
    }

    /// <summary>FNV-1a over the path's UTF-8 bytes: 64 bits, so a million paths collide with odds of about 1 in 30 million.</summary>
    private static ulong PathHash(string value)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(value))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    private readonly record struct Entry(long Offset, int Length, ImageStatus Status, bool Review, bool Superseded);
}
