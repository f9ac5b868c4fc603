namespace FaceSwap.LoadTesting;

/// <summary>
/// A fixed-size, thread-safe latency histogram (about 2% wide buckets from 0.01 ms to hours): percentiles of millions
/// of samples without keeping them.
/// </summary>
public sealed class LatencyHistogram
{
    private const double BucketsPerDoubling = 35;
    private const double SmallestMs = 0.01;
    private readonly long[] buckets = new long[1200];
    private long count;

    /// <summary>Samples recorded.</summary>
    public long Count => Interlocked.Read(ref count);

    /// <summary>Records one latency in milliseconds.</summary>
    public void Record(double milliseconds)
    {
        var bucket = milliseconds <= SmallestMs ? 0 : (int)(Math.Log2(milliseconds / SmallestMs) * BucketsPerDoubling) + 1;
        Interlocked.Increment(ref buckets[Math.Min(bucket, buckets.Length - 1)]);
        Interlocked.Increment(ref count);
    }

    /// <summary>The latency below which a fraction <paramref name="p"/> of the samples lie (upper edge of its bucket); 0 when empty.</summary>
    public double Percentile(double p)
    {
        var total = Count;
        if (total == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(p * total);
        long seen = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            seen += Interlocked.Read(ref buckets[i]);
            if (seen >= rank)
            {
                return SmallestMs * Math.Pow(2, i / BucketsPerDoubling);
            }
        }

        return SmallestMs * Math.Pow(2, buckets.Length / BucketsPerDoubling);
    }
}
