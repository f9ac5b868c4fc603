using OpenCvSharp;

namespace FaceSwap.Engine.Landmarks;

/// <summary>Named parts of the 68-point (iBUG 300-W) layout and measures derived from them.</summary>
public static class FaceGeometry
{
    /// <summary>Centre of the eye on the image's left.</summary>
    public static Point2f LeftEye(Point2f[] p) => Mean(p, 36, 42);

    /// <summary>Centre of the eye on the image's right.</summary>
    public static Point2f RightEye(Point2f[] p) => Mean(p, 42, 48);

    /// <summary>The five points of the usual alignment templates: eyes, nose tip, mouth corners.</summary>
    public static Point2f[] FivePoints(Point2f[] p) => [LeftEye(p), RightEye(p), p[30], p[48], p[54]];

    /// <summary>Distance between the eye centres.</summary>
    public static float EyeDistance(Point2f[] p) => Distance(LeftEye(p), RightEye(p));

    /// <summary>
    /// Approximate yaw, 0 when frontal: the nose tip's offset from the eyes' midpoint along the eye axis, in eye
    /// distances, doubled (about +-1 at profile). The jaw contour of fr_landmark is too loose to measure this.
    /// </summary>
    public static float Yaw(Point2f[] p)
    {
        var left = LeftEye(p);
        var right = RightEye(p);
        var axis = new Point2f(right.X - left.X, right.Y - left.Y);
        var length = Math.Max(1e-3f, MathF.Sqrt(axis.X * axis.X + axis.Y * axis.Y));
        var mid = new Point2f((left.X + right.X) / 2, (left.Y + right.Y) / 2);
        var offset = ((p[30].X - mid.X) * axis.X + (p[30].Y - mid.Y) * axis.Y) / length;
        return 2 * offset / length;
    }

    /// <summary>Inner-lip gap relative to the mouth width (0 = closed).</summary>
    public static float MouthOpen(Point2f[] p)
    {
        var gap = (Distance(p[61], p[67]) + Distance(p[62], p[66]) + Distance(p[63], p[65])) / 3;
        return gap / Math.Max(1e-3f, Distance(p[48], p[54]));
    }

    /// <summary>Mean eye opening (height over width of the eye contour).</summary>
    public static float EyeOpen(Point2f[] p)
    {
        static float Ratio(Point2f[] q, int s) =>
            (Distance(q[s + 1], q[s + 5]) + Distance(q[s + 2], q[s + 4])) / (2 * Math.Max(1e-3f, Distance(q[s], q[s + 3])));
        return (Ratio(p, 36) + Ratio(p, 42)) / 2;
    }

    /// <summary>Euclidean distance.</summary>
    public static float Distance(Point2f a, Point2f b) => MathF.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));

    private static Point2f Mean(Point2f[] p, int from, int to)
    {
        float x = 0, y = 0;
        for (var i = from; i < to; i++)
        {
            x += p[i].X;
            y += p[i].Y;
        }

        return new Point2f(x / (to - from), y / (to - from));
    }
}
