using System.Globalization;
using System.Text;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Batch;
using FaceSwap.Storage;

namespace FaceSwap.Grains.Diagnostics;

/// <summary>Per-stage time of one stage over a job's images: how many images ran it, and the median and 95th percentile in milliseconds.</summary>
public sealed record StageStats(int Count, double P50Ms, double P95Ms);

/// <summary>The per-stage time table of a job (p50/p95 per stage), computed from its outcomes; written into summary.json and printed by `faceswap run`.</summary>
public static class StageTable
{
    /// <summary>The table from outcomes: stages in pipeline order, then any others by name; images without stage times are left out.</summary>
    public static IReadOnlyDictionary<string, StageStats> From(IEnumerable<ImageOutcome> outcomes)
    {
        var samples = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var outcome in outcomes)
        {
            foreach (var (stage, milliseconds) in outcome.Stages ?? new Dictionary<string, double>())
            {
                if (!samples.TryGetValue(stage, out var list))
                {
                    samples[stage] = list = [];
                }

                list.Add(milliseconds);
            }
        }

        var order = FaceSwapTelemetry.Stages;
        var table = new Dictionary<string, StageStats>(StringComparer.Ordinal);
        foreach (var stage in samples.Keys.OrderBy(s => order.Contains(s) ? order.ToList().IndexOf(s) : int.MaxValue).ThenBy(s => s, StringComparer.Ordinal))
        {
            var values = samples[stage];
            values.Sort();
            table[stage] = new StageStats(values.Count, Percentile(values, 0.50), Percentile(values, 0.95));
        }

        return table;
    }

    /// <summary>The table of a job's outcomes manifest (latest outcome per image).</summary>
    /// <remarks>
    /// The manifest is read in ranges and only outcomes with stage times are kept, so a million-image manifest of
    /// outcomes without stages (skips, failures, the load-testing null engine) costs no memory.
    /// </remarks>
    public static async Task<IReadOnlyDictionary<string, StageStats>> ReadAsync(IBlobStore store, string manifest, CancellationToken cancellationToken = default)
    {
        // Under the large-object threshold: chunks die young instead of piling up on the large-object heap.
        const int Chunk = 64 << 10;
        var latest = new Dictionary<string, ImageOutcome>(StringComparer.Ordinal);
        long offset = 0;
        var carry = Array.Empty<byte>();
        while (true)
        {
            var bytes = await store.ReadRangeAsync(manifest, offset, Chunk, cancellationToken);
            if (bytes.Length == 0)
            {
                break;
            }

            offset += bytes.Length;
            var text = carry.Length == 0 ? bytes : [.. carry, .. bytes];
            var end = Array.LastIndexOf(text, (byte)'\n');
            var lines = text.AsSpan(0, end + 1);
            while (lines.IndexOf((byte)'\n') is var newline and >= 0)
            {
                var line = lines[..newline];
                lines = lines[(newline + 1)..];

                // Only a line with stage times adds to the table; one without them matters only when it supersedes one.
                if ((latest.Count == 0 && line.IndexOf("\"stages\""u8) < 0) || JobOutcomes.Parse(line) is not { } outcome)
                {
                    continue;
                }

                // The latest line of a path is its outcome: one without stages removes an earlier one with them.
                if (outcome.Stages is { Count: > 0 })
                {
                    latest[outcome.Path] = outcome;
                }
                else
                {
                    latest.Remove(outcome.Path);
                }
            }

            carry = text[(end + 1)..];
        }

        return From(latest.Values);
    }

    /// <summary>The table as aligned text: stage, images, p50 ms, p95 ms.</summary>
    public static string Format(IReadOnlyDictionary<string, StageStats> table)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"stage",-10} {"images",7} {"p50 ms",9} {"p95 ms",9}");
        foreach (var (stage, stats) in table)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{stage,-10} {stats.Count,7} {stats.P50Ms,9:0.0} {stats.P95Ms,9:0.0}");
        }

        return text.ToString();
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return 0;
        }

        var rank = (int)Math.Ceiling(p * sorted.Count);
        return Math.Round(sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)], 1);
    }
}
