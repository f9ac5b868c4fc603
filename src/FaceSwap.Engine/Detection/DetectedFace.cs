using OpenCvSharp;

namespace FaceSwap.Engine.Detection;

/// <summary>A face found by the detector, with its 68 landmarks once they are known.</summary>
public sealed record DetectedFace(Rect2f Box, float Score)
{
    /// <summary>68 points in image coordinates (iBUG 300-W order), or empty before landmarking.</summary>
    public Point2f[] Landmarks { get; init; } = [];

    /// <summary>
    /// Five points (eyes, nose tip, mouth corners; image-left first on an upright face) that the neural models align the
    /// face with, where something better than the embedded landmarker gave them: 2dfan4's 68 points, else the
    /// detector's own keypoints (scrfd, yoloface). Empty: they are derived from <see cref="Landmarks"/>.
    /// </summary>
    public Point2f[] AlignmentPoints { get; init; } = [];

    /// <summary>The detector's box before it was clipped to the frame (2dfan4 is placed on it); null when it lay inside.</summary>
    public Rect2f? UnclippedBox { get; init; }

    /// <summary>Box as integers [x, y, w, h].</summary>
    public int[] BoxArray => [(int)MathF.Round(Box.X), (int)MathF.Round(Box.Y), (int)MathF.Round(Box.Width), (int)MathF.Round(Box.Height)];

    /// <summary>Intersection over union with another box.</summary>
    public static float IoU(Rect2f a, Rect2f b)
    {
        var x1 = Math.Max(a.Left, b.Left);
        var y1 = Math.Max(a.Top, b.Top);
        var x2 = Math.Min(a.Right, b.Right);
        var y2 = Math.Min(a.Bottom, b.Bottom);
        var inter = Math.Max(0, x2 - x1) * Math.Max(0, y2 - y1);
        var union = a.Width * a.Height + b.Width * b.Height - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
