using OpenCvSharp;

namespace FaceSwap.Engine.Pipeline;

/// <summary>
/// A target image decoded ahead of the swap (the engine service decodes the next images while others are being
/// swapped). Owns its pixels: dispose it once it has been swapped.
/// </summary>
public sealed class DecodedImage(Mat frame, double decodeMilliseconds) : IDisposable
{
    /// <summary>The image, BGR.</summary>
    public Mat Frame { get; } = frame;

    /// <summary>How long decoding took.</summary>
    public double DecodeMilliseconds { get; } = decodeMilliseconds;

    /// <inheritdoc />
    public void Dispose() => Frame.Dispose();
}
