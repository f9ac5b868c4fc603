using FaceSwap.Engine.Detection;
using OpenCvSharp;

namespace FaceSwap.Engine.Landmarks;

/// <summary>
/// A selected landmarker backed by another: where <paramref name="chosen"/> is not confident (no 68 points),
/// <paramref name="fallback"/> places the points, all such faces in one call.
/// </summary>
public sealed class FallbackLandmarker(IFaceLandmarker chosen, IFaceLandmarker fallback) : IFaceLandmarker
{
    /// <inheritdoc />
    public string Name => chosen.Name;

    /// <inheritdoc />
    public DetectedFace Locate(Mat bgr, DetectedFace face) => LocateAll(bgr, [face])[0];

    /// <inheritdoc />
    public IReadOnlyList<DetectedFace> LocateAll(Mat bgr, IReadOnlyList<DetectedFace> faces)
    {
        var located = chosen.LocateAll(bgr, faces).ToArray();
        var unsure = Enumerable.Range(0, located.Length).Where(i => located[i].Landmarks.Length != 68).ToList();
        if (unsure.Count == 0)
        {
            return located;
        }

        var placed = fallback.LocateAll(bgr, unsure.Select(i => faces[i]).ToList());
        for (var k = 0; k < unsure.Count; k++)
        {
            located[unsure[k]] = placed[k];
        }

        return located;
    }
}
