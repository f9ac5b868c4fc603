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
