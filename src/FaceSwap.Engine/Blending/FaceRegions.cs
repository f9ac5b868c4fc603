using FaceSwap.Engine.Landmarks;
using OpenCvSharp;

namespace FaceSwap.Engine.Blending;

/// <summary>Masks of a face's parts drawn from its 68 landmarks (255 inside), in the coordinates of the points given.</summary>
public static class FaceRegions
{
    /// <summary>
    /// The inner features (eyes, brows, nose, mouth, a little grown): what carries identity, swapped even where
    /// their colour is not skin-like. Without <paramref name="lids"/>, the eyes end at their outline.
    /// </summary>
    public static Mat Features(Size size, Point2f[] p, bool nose = true, bool lids = true, bool brows = true)
    {
        var eye = Math.Max(1f, FaceGeometry.EyeDistance(p));
        var mask = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
        Cv2.FillPoly(mask, [Polygon(p, 36, 42), Polygon(p, 42, 48), Polygon(p, 48, 60)], Scalar.All(255));
        if (nose)
        {
            Cv2.FillConvexPoly(mask, Cv2.ConvexHull(Polygon(p, 27, 36)), Scalar.All(255));
            Cv2.Polylines(mask, [Polygon(p, 27, 36)], true, Scalar.All(255), Thickness(0.1f * eye));
        }

        if (lids)
        {
            Cv2.Polylines(mask, [Polygon(p, 36, 42), Polygon(p, 42, 48)], true, Scalar.All(255), Thickness(0.24f * eye));
        }

        Cv2.Polylines(mask, [Polygon(p, 48, 60)], true, Scalar.All(255), Thickness(0.16f * eye));
        if (brows)
        {
            DrawBrows(mask, p, eye);
        }

        return mask;
    }

    /// <summary>The brows as <see cref="Features"/> draws them: bands along their points, a little past their ends.</summary>
    public static Mat Brows(Size size, Point2f[] p)
    {
        var mask = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
        DrawBrows(mask, p, Math.Max(1f, FaceGeometry.EyeDistance(p)));
        return mask;
    }

    private static void DrawBrows(Mat mask, Point2f[] p, float eye) =>
        Cv2.Polylines(mask, [Polygon(p, 17, 22), Polygon(p, 22, 27)], false, Scalar.All(255), Thickness(0.22f * eye));

    /// <summary>
    /// Each eye with its lid up to the brow: the hull of the brow's and the eye's points. Make-up there (liner, dark
    /// shadow in the crease) is not skin-coloured, but it belongs to the eye.
    /// </summary>
    public static Mat EyeZones(Size size, Point2f[] p)
    {
        var mask = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
        foreach (var (brow, eye) in new[] { (17, 36), (22, 42) })
        {
            var points = Polygon(p, brow, brow + 5).Concat(Polygon(p, eye, eye + 6)).ToArray();
            Cv2.FillConvexPoly(mask, Cv2.ConvexHull(points), Scalar.All(255));
        }

        return mask;
    }

    /// <summary>The eyes and the mouth (inside their outlines), grown by <paramref name="grow"/> eye distances: where a face's sharpness shows.</summary>
    public static Mat EyesAndMouth(Size size, Point2f[] p, float grow = 0.1f)
    {
        var eye = Math.Max(1f, FaceGeometry.EyeDistance(p));
        var mask = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
        Point[][] parts = [Polygon(p, 36, 42), Polygon(p, 42, 48), Polygon(p, 48, 60)];
        Cv2.FillPoly(mask, parts, Scalar.All(255));
        Cv2.Polylines(mask, parts, true, Scalar.All(255), Thickness(2 * grow * eye));
        return mask;
    }

    /// <summary>Both eyes, grown by <paramref name="grow"/> eye distances (lids and lashes): where focus shows without a laughing mouth's teeth.</summary>
    public static Mat Eyes(Size size, Point2f[] p, float grow = 0.1f)
    {
        var mask = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
        FillEye(mask, p, 36, grow);
        FillEye(mask, p, 42, grow);
        return mask;
    }

    /// <summary>One eye (36 for the image's left, 42 for its right), grown by <paramref name="grow"/> eye distances (a fifth by default), filled with <paramref name="value"/>.</summary>
    public static void FillEye(Mat mask, Point2f[] p, int first, float grow = 0.2f, double value = 255)
    {
        var eye = Math.Max(1f, FaceGeometry.EyeDistance(p));
        var polygon = Polygon(p, first, first + 6);
        Cv2.FillPoly(mask, [polygon], Scalar.All(value));
        Cv2.Polylines(mask, [polygon], true, Scalar.All(value), Thickness(2 * grow * eye));
    }

    /// <summary>The whole mouth (lips and opening, inside the outer lip line), grown by <paramref name="grow"/> eye distances.</summary>
    public static void FillMouth(Mat mask, Point2f[] p, float grow, double value = 255)
    {
        var polygon = Polygon(p, 48, 60);
        Cv2.FillPoly(mask, [polygon], Scalar.All(value));
        Cv2.Polylines(mask, [polygon], true, Scalar.All(value), Thickness(2 * grow * Math.Max(1f, FaceGeometry.EyeDistance(p))));
    }

    /// <summary>The inner-lip opening (teeth, tongue), grown by <paramref name="grow"/> eye distances.</summary>
    public static void FillMouthInterior(Mat mask, Point2f[] p, float grow = 0)
    {
        var polygon = Polygon(p, 60, 68);
        Cv2.FillPoly(mask, [polygon], Scalar.All(255));
        if (grow > 0)
        {
            Cv2.Polylines(mask, [polygon], true, Scalar.All(255), Thickness(2 * grow * Math.Max(1f, FaceGeometry.EyeDistance(p))));
        }
    }

    /// <summary>Points <paramref name="from"/> to <paramref name="to"/> (exclusive) as integer pixels.</summary>
    public static Point[] Polygon(Point2f[] p, int from, int to) => p[from..to].Select(q => new Point((int)Math.Round(q.X), (int)Math.Round(q.Y))).ToArray();

    private static int Thickness(float width) => Math.Max(1, (int)Math.Round(width));
}
