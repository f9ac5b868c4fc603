using OpenCvSharp;

namespace FaceSwap.Engine.Detection;

/// <summary>
/// The detect stage: finds face boxes in a frame (landmarks are added afterwards by a landmarker). The embedded
/// <see cref="FaceDetector"/> and the public scrfd_2.5g and yoloface_8n implement it.
/// </summary>
public interface IFaceDetector
{
    /// <summary>The name users select it by.</summary>
    string Name { get; }

    /// <summary>Face boxes in image coordinates, with scores.</summary>
    IReadOnlyList<DetectedFace> Detect(Mat bgr);
}
