using FaceSwap.Engine.Detection;
using OpenCvSharp;

namespace FaceSwap.Engine.Landmarks;

/// <summary>
/// The landmarks stage: places 68 landmarks on detected face boxes. The embedded <see cref="FaceLandmarker"/> and the
/// public 2dfan4 (<see cref="Fan68Landmarker"/>) implement it.
/// </summary>
public interface IFaceLandmarker
{
    /// <summary>The name users select it by.</summary>
    string Name { get; }

    /// <summary>The face with 68 landmarks, or with none when this landmarker is not confident or the face too small.</summary>
    DetectedFace Locate(Mat bgr, DetectedFace face);

    /// <summary>Each face with 68 landmarks, or with none where this landmarker is not confident, in the given order.</summary>
    IReadOnlyList<DetectedFace> LocateAll(Mat bgr, IReadOnlyList<DetectedFace> faces);
}
