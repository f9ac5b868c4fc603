using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Pipeline;
using OpenCvSharp;

namespace FaceSwap.Engine.Swapping;

/// <summary>Puts a prepared source face into one target face of a frame.</summary>
public interface IFaceSwapper
{
    /// <summary>The name users select it by (morph, inswapper_128, ...).</summary>
    string Name { get; }

    /// <summary>
    /// Replaces <paramref name="target"/> in <paramref name="frame"/> (BGR, modified in place). <paramref name="encoding"/>
    /// is how the frame will be written, so a swapper can judge its result as users will see it.
    /// </summary>
    void Swap(Mat frame, DetectedFace target, SourceFace source, OutputEncoding encoding, StageTimer timings);
}

/// <summary>
/// How an output is written (format, quality) and how its faces are found again (<paramref name="Relocate"/>: the 68
/// landmarks of the face in a box of an image, or empty), so a swapper can judge its result as it will be measured.
/// </summary>
public sealed record OutputEncoding(Imaging.ImageFormat Format, int Quality, Func<Mat, DetectedFace, Point2f[]>? Relocate = null)
{
    /// <summary>Whether encoding loses detail (JPEG, WebP).</summary>
    public bool Lossy => Format is Imaging.ImageFormat.Jpeg or Imaging.ImageFormat.Webp;
}
