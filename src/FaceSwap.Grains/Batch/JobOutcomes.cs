using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Batch;

/// <summary>
/// The job's outcomes manifest: one JSON line per image outcome, appended as images finish. A path can appear more
/// than once (a retry round, a re-listed page after a lost silo); its last line is its outcome.
/// </summary>
public static class JobOutcomes
{
    /// <summary>The largest manifest read whole (about three million outcomes).</summary>
    public const long MaxManifestBytes = 1L << 30;

    /// <summary>One outcome as a manifest line.</summary>
    public static string ToLine(ImageOutcome outcome) => JsonSerializer.Serialize(outcome, FaceSwapJson.Options);

    /// <summary>Parses one manifest line; null for a line that is not an outcome.</summary>
    public static ImageOutcome? Parse(ReadOnlySpan<byte> line)
    {
        try
        {
            return line.Trim(" \r\t"u8).IsEmpty ? null : JsonSerializer.Deserialize<ImageOutcome>(line, FaceSwapJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The latest outcome of each image, in the order of those latest lines; empty when there is no manifest.</summary>
    public static async Task<IReadOnlyList<ImageOutcome>> ReadLatestAsync(IBlobStore store, string manifest, CancellationToken cancellationToken = default)
    {
        byte[] bytes;
        try
        {
            bytes = await store.ReadAllBytesAsync(manifest, MaxManifestBytes, cancellationToken);
        }
        catch (BlobNotFoundException)
        {
            return [];
        }

        var latest = new Dictionary<string, (long Order, ImageOutcome Outcome)>(StringComparer.Ordinal);
        long order = 0;
        foreach (var outcome in ParseAll(bytes))
        {
            latest[outcome.Path] = (order++, outcome);
        }

        return latest.Values.OrderBy(v => v.Order).Select(v => v.Outcome).ToList();
    }

    /// <summary>
    /// Every outcome line of a manifest, in order, read in ranges so that memory does not grow with the manifest; only
    /// lines containing <paramref name="marker"/> (UTF-8 bytes, e.g. a member name) are parsed, when it is given.
    /// Superseded lines are not left out: a caller that needs the latest outcome of each image decides itself.
    /// </summary>
    public static async IAsyncEnumerable<ImageOutcome> ReadEachAsync(IBlobStore store, string manifest, byte[]? marker = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Under the large-object threshold: chunks die young instead of piling up on the large-object heap.
        const int Chunk = 64 << 10;
        long offset = 0;
        var carry = Array.Empty<byte>();
        while (true)
        {
            var bytes = await store.ReadRangeAsync(manifest, offset, Chunk, cancellationToken);
            if (bytes.Length == 0)
            {
                yield break;
            }

            offset += bytes.Length;
            var text = carry.Length == 0 ? bytes : [.. carry, .. bytes];
            var end = Array.LastIndexOf(text, (byte)'\n');
            foreach (var outcome in ParseLines(text, end + 1, marker))
            {
                yield return outcome;
            }

            carry = text[(end + 1)..];
        }
    }

    private static List<ImageOutcome> ParseLines(byte[] text, int length, byte[]? marker)
    {
        var outcomes = new List<ImageOutcome>();
        var lines = text.AsSpan(0, length);
        while (lines.IndexOf((byte)'\n') is var newline and >= 0)
        {
            var line = lines[..newline];
            lines = lines[(newline + 1)..];
            if ((marker is null || line.IndexOf(marker) >= 0) && Parse(line) is { } outcome)
            {
                outcomes.Add(outcome);
            }
        }

        return outcomes;
    }

    /// <summary>Every outcome of complete lines in <paramref name="bytes"/>.</summary>
    public static IEnumerable<ImageOutcome> ParseAll(byte[] bytes)
    {
        var start = 0;
        while (start < bytes.Length)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0)
            {
                yield break;
            }

            if (Parse(bytes.AsSpan(start, end - start)) is { } outcome)
            {
                yield return outcome;
            }

            start = end + 1;
        }
    }
}
