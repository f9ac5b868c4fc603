using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Pipeline;
using OpenCvSharp;

namespace FaceSwap.Engine.Enhancement;

/// <summary>Restores a face in a frame after it has been swapped.</summary>
public interface IFaceEnhancer
{
    /// <summary>The name users select it by (gfpgan_1.4).</summary>
    string Name { get; }

    /// <summary>Enhances <paramref name="face"/> in <paramref name="frame"/> (BGR, modified in place).</summary>
    void Enhance(Mat frame, DetectedFace face, StageTimer timings);
}
