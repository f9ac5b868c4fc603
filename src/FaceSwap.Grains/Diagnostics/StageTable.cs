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
        var samples = new Dictionary<string, ValueCounts>(StringComparer.Ordinal);
        foreach (var outcome in outcomes)
        {
            Add(samples, outcome);
        }

        return Table(samples);
    }

    /// <summary>The table of a job's outcomes manifest (latest outcome per image).</summary>
    /// <remarks>
    /// The latest outcomes are read a page at a time through the manifest's <see cref="OutcomeIndex"/>, and each stage
    /// keeps counts of its values (outcomes round them to 0.1 ms), so memory holds neither the outcomes nor one number
    /// per image, and the percentiles are exact.
    /// </remarks>
    public static async Task<IReadOnlyDictionary<string, StageStats>> ReadAsync(IBlobStore store, string manifest, CancellationToken cancellationToken = default)
    {
        var samples = new Dictionary<string, ValueCounts>(StringComparer.Ordinal);
        var index = await OutcomeIndex.OpenAsync(store, manifest, cancellationToken: cancellationToken);
        await foreach (var outcome in index.EachAsync(cancellationToken: cancellationToken))
        {
            Add(samples, outcome);
        }

        return Table(samples);
    }

    private static void Add(Dictionary<string, ValueCounts> samples, ImageOutcome outcome)
    {
        foreach (var (stage, milliseconds) in outcome.Stages ?? new Dictionary<string, double>())
        {
            if (!samples.TryGetValue(stage, out var counts))
            {
                samples[stage] = counts = new ValueCounts();
            }

            counts.Add(milliseconds);
        }
    }

    private static Dictionary<string, StageStats> Table(Dictionary<string, ValueCounts> samples)
    {
        var order = FaceSwapTelemetry.Stages.ToList();
        var table = new Dictionary<string, StageStats>(StringComparer.Ordinal);
        foreach (var stage in samples.Keys.OrderBy(s => order.Contains(s) ? order.IndexOf(s) : int.MaxValue).ThenBy(s => s, StringComparer.Ordinal))
        {
            var counts = samples[stage];
            table[stage] = new StageStats((int)counts.Total, counts.Percentile(0.50), counts.Percentile(0.95));
        }

        return table;
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

    /// <summary>How often each value occurred: nearest-rank percentiles in memory that grows with distinct values, not with images.</summary>
    private sealed class ValueCounts
    {
        private readonly Dictionary<double, long> counts = [];

        public long Total { get; private set; }

        public void Add(double value)
        {
            counts[value] = counts.GetValueOrDefault(value) + 1;
            Total++;
        }

        public double Percentile(double p)
        {
            if (Total == 0)
            {
                return 0;
            }

            var rank = Math.Clamp((long)Math.Ceiling(p * Total), 1, Total);
            long seen = 0;
            foreach (var (value, count) in counts.OrderBy(kv => kv.Key))
            {
                seen += count;
                if (seen >= rank)
                {
                    return Math.Round(value, 1);
                }
            }

            return Math.Round(counts.Keys.Max(), 1);
        }
    }
}
