using System.Diagnostics;
using FaceSwap.Engine.Imaging;
using OpenCvSharp;

namespace FaceSwap.Engine.Pipeline;

/// <summary>
/// A target image on its way to the engine: its bytes, its content key when a repeat-image cache is in use, and its
/// pixels when it was decoded ahead (the engine service decodes the next images while others are being swapped).
/// </summary>
public sealed class TargetImage(byte[] bytes, string? contentKey) : IDisposable
{
    private Mat? decoded;

    /// <summary>The encoded image.</summary>
    public byte[] Bytes { get; } = bytes;

    /// <summary>The content hash the repeat-image cache keys it by; null without a cache.</summary>
    public string? ContentKey { get; } = contentKey;

    /// <summary>How long decoding ahead took; 0 when it was not decoded ahead.</summary>
    public double DecodeMilliseconds { get; private set; }

    /// <summary>Decodes the image now.</summary>
    public void DecodeNow(long maxPixels)
    {
        using var span = StageTimer.StartSpan("decode");
        var started = Stopwatch.GetTimestamp();
        var frame = ImageCodec.Decode(Bytes, maxPixels);
        Interlocked.Exchange(ref decoded, frame)?.Dispose();
        DecodeMilliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    /// <summary>The pixels decoded ahead, handed over to the caller (who disposes them); null when there are none.</summary>
    public Mat? TakeDecoded() => Interlocked.Exchange(ref decoded, null);

    /// <inheritdoc />
    public void Dispose() => TakeDecoded()?.Dispose();
}
