using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Pipeline;
using OpenCvSharp;

namespace FaceSwap.Engine.Swapping;

/// <summary>Puts a prepared source face into one target face of a frame.</summary>
public interface IFaceSwapper
{
    /// <summary>The name users select it by (morph, inswapper_128, ...).</summary>
    string Name { get; }

    /// <summary>Replaces <paramref name="target"/> in <paramref name="frame"/> (BGR, modified in place).</summary>
    void Swap(Mat frame, DetectedFace target, SourceFace source, StageTimer timings);
}
