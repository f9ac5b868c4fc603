using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Pipeline;
using OpenCvSharp;

namespace FaceSwap.Engine.Swapping;

/// <summary>
/// The default, weight-free swapper: a piecewise-affine warp of the source face onto the target's landmarks
/// (Delaunay triangles over the 68 points plus forehead points), a colour transfer to the target's skin in Lab,
/// and Poisson blending (seamlessClone) inside the face hull, so the result follows the target's pose and lighting.
/// </summary>
public sealed class MorphSwapper : IFaceSwapper
{
    /// <summary>Points added above the brows, as a fraction of the brow-to-chin length.</summary>
    private const float ForeheadLift = 0.28f;

    /// <summary>Contour and forehead points are moved to this fraction of their distance from the face centre.</summary>
    private const float ContourPull = 0.88f;

    /// <summary>The mask is pulled inside the hull by this fraction of the eye distance (the jaw contour is loose).</summary>
    private const float MaskInset = 0.10f;

    /// <summary>Inner-lip gap (relative to mouth width) above which the target's mouth interior is kept.</summary>
    private const float OpenMouth = 0.08f;

    /// <inheritdoc />
    public string Name => "morph";

    /// <summary>Strength of the Lab colour transfer, 0 (none) to 1 (full mean and spread).</summary>
    public float ColourTransfer { get; init; } = 0.6f;

    /// <summary>
    /// How much of the target's smooth lighting replaces the source's, 0 to 1. The source keeps its fine detail (skin,
    /// brows, lips) but not its own coloured lights: a source lit purple on one cheek must not bring that patch along.
    /// </summary>
    public float LightingTransfer { get; init; } = 1f;

    /// <summary>Scale of "smooth" lighting, in eye distances (the blur's sigma).</summary>
    private const float LightingScale = 0.35f;

    /// <inheritdoc />
    public void Swap(Mat frame, DetectedFace target, SourceFace source, StageTimer timings)
    {
        if (target.Landmarks.Length != 68)
        {
            throw new ArgumentException("target face has no landmarks", nameof(target));
        }

        Mat warped;
        Mat mask;
        Rect roi;
        using (timings.Time("swap"))
        {
            var dstPoints = Extend(target.Landmarks);
            var srcPoints = (Point2f[])source.SwapperCache.GetOrAdd(Name + ":points", _ => Extend(source.Landmarks));
            var triangles = (int[][])source.SwapperCache.GetOrAdd(Name + ":triangles", _ => Triangulate(srcPoints, source.Crop.Size()));

            roi = Cv2.BoundingRect(dstPoints.Select(p => new Point((int)p.X, (int)p.Y)));
            var margin = (int)(Math.Max(roi.Width, roi.Height) * 0.15f) + 4;
            roi = new Rect(roi.X - margin, roi.Y - margin, roi.Width + 2 * margin, roi.Height + 2 * margin)
                .Intersect(new Rect(0, 0, frame.Width, frame.Height));
            if (roi.Width < 8 || roi.Height < 8)
            {
                return;
            }

            var local = dstPoints.Select(p => new Point2f(p.X - roi.X, p.Y - roi.Y)).ToArray();
            warped = new Mat(roi.Size, MatType.CV_8UC3, Scalar.All(0));
            foreach (var t in triangles)
            {
                WarpTriangle(source.Crop, warped, [srcPoints[t[0]], srcPoints[t[1]], srcPoints[t[2]]], [local[t[0]], local[t[1]], local[t[2]]]);
            }

            mask = HullMask(roi.Size, local, FaceGeometry.EyeDistance(target.Landmarks) * MaskInset);
            if (FaceGeometry.MouthOpen(target.Landmarks) > OpenMouth)
            {
                // Keep the target's own open mouth (teeth, tongue): a closed source mouth stretched over it looks wrong.
                var inner = local[60..68].Select(p => new Point((int)Math.Round(p.X), (int)Math.Round(p.Y))).ToArray();
                Cv2.FillPoly(mask, [inner], Scalar.All(0));
            }
        }

        using (warped)
        using (mask)
        using (timings.Time("blend"))
        {
            var bounds = Cv2.BoundingRect(mask);
            if (bounds.Width < 4 || bounds.Height < 4)
            {
                return;
            }

            using var region = new Mat(frame, roi);
            if (LightingTransfer > 0)
            {
                TransferLighting(warped, region, mask, FaceGeometry.EyeDistance(target.Landmarks) * LightingScale, LightingTransfer);
            }

            if (ColourTransfer > 0)
            {
                TransferColour(warped, region, mask, ColourTransfer);
            }

            using var blended = new Mat();
            var centre = new Point(bounds.X + bounds.Width / 2, bounds.Y + bounds.Height / 2);
            Cv2.SeamlessClone(warped, region, mask, centre, blended, SeamlessCloneFlags.NormalClone);
            blended.CopyTo(region);
        }
    }

    /// <summary>
    /// 68 landmarks plus points on the forehead, lifted from the brows along the face's vertical axis. The jaw
    /// contour and the forehead points are pulled towards the centre of the inner features: fr_landmark's contour
    /// is loose and often lies on hair or background, which would otherwise be pasted onto the target's temples.
    /// </summary>
    public static Point2f[] Extend(Point2f[] p)
    {
        var chin = p[8];
        var bridge = p[27];
        var lift = new Point2f((bridge.X - chin.X) * ForeheadLift, (bridge.Y - chin.Y) * ForeheadLift);
        int[] brows = [17, 19, 21, 22, 24, 26];
        var extended = new Point2f[p.Length + brows.Length];
        p.CopyTo(extended, 0);
        for (var i = 0; i < brows.Length; i++)
        {
            // Outer brow points rise less, so the forehead line curves like a hairline instead of a box.
            var k = i is 0 or 5 ? 0.15f : i is 1 or 4 ? 0.7f : 1f;
            extended[p.Length + i] = new Point2f(p[brows[i]].X + lift.X * k, p[brows[i]].Y + lift.Y * k);
        }

        float cx = 0, cy = 0;
        for (var i = 17; i < 68; i++)
        {
            cx += p[i].X;
            cy += p[i].Y;
        }

        var centre = new Point2f(cx / 51, cy / 51);
        for (var i = 0; i < extended.Length; i++)
        {
            if (i <= 17 || i == 26 || i >= 68)
            {
                extended[i] = new Point2f(centre.X + (extended[i].X - centre.X) * ContourPull, centre.Y + (extended[i].Y - centre.Y) * ContourPull);
            }
        }

        return extended;
    }

    private static int[][] Triangulate(Point2f[] points, Size size)
    {
        var bounds = new Rect(0, 0, size.Width, size.Height);
        var xs = points.Select(p => p.X).ToArray();
        var ys = points.Select(p => p.Y).ToArray();
        var rect = new Rect((int)Math.Floor(xs.Min()) - 2, (int)Math.Floor(ys.Min()) - 2,
            (int)Math.Ceiling(xs.Max() - xs.Min()) + 5, (int)Math.Ceiling(ys.Max() - ys.Min()) + 5);
        using var subdiv = new Subdiv2D(rect.Width > 0 ? rect : bounds);
        foreach (var p in points)
        {
            subdiv.Insert(p);
        }

        var triangles = new List<int[]>();
        foreach (var t in subdiv.GetTriangleList())
        {
            var a = Nearest(points, new Point2f(t.Item0, t.Item1));
            var b = Nearest(points, new Point2f(t.Item2, t.Item3));
            var c = Nearest(points, new Point2f(t.Item4, t.Item5));
            if (a >= 0 && b >= 0 && c >= 0 && a != b && b != c && a != c)
            {
                triangles.Add([a, b, c]);
            }
        }

        return triangles.ToArray();
    }

    private static int Nearest(Point2f[] points, Point2f q)
    {
        for (var i = 0; i < points.Length; i++)
        {
            if (Math.Abs(points[i].X - q.X) < 0.5f && Math.Abs(points[i].Y - q.Y) < 0.5f)
            {
                return i;
            }
        }

        return -1;
    }

    private static void WarpTriangle(Mat src, Mat dst, Point2f[] s, Point2f[] d)
    {
        var sr = Cv2.BoundingRect(s.Select(p => new Point((int)Math.Floor(p.X), (int)Math.Floor(p.Y))).Append(new Point((int)Math.Ceiling(s.Max(p => p.X)), (int)Math.Ceiling(s.Max(p => p.Y)))))
            .Intersect(new Rect(0, 0, src.Width, src.Height));
        var dr = Cv2.BoundingRect(d.Select(p => new Point((int)Math.Floor(p.X), (int)Math.Floor(p.Y))).Append(new Point((int)Math.Ceiling(d.Max(p => p.X)), (int)Math.Ceiling(d.Max(p => p.Y)))))
            .Intersect(new Rect(0, 0, dst.Width, dst.Height));
        if (sr.Width <= 0 || sr.Height <= 0 || dr.Width <= 0 || dr.Height <= 0)
        {
            return;
        }

        var sLocal = s.Select(p => new Point2f(p.X - sr.X, p.Y - sr.Y)).ToArray();
        var dLocal = d.Select(p => new Point2f(p.X - dr.X, p.Y - dr.Y)).ToArray();
        using var matrix = Cv2.GetAffineTransform(sLocal, dLocal);
        using var srcPatch = new Mat(src, sr);
        using var patch = new Mat();
        Cv2.WarpAffine(srcPatch, patch, matrix, dr.Size, InterpolationFlags.Linear, BorderTypes.Reflect101);

        using var triMask = new Mat(dr.Size, MatType.CV_8UC1, Scalar.All(0));
        Cv2.FillConvexPoly(triMask, dLocal.Select(p => new Point((int)Math.Round(p.X), (int)Math.Round(p.Y))).ToArray(), Scalar.All(255), LineTypes.Link8);
        using var target = new Mat(dst, dr);
        patch.CopyTo(target, triMask);
    }

    private static Mat HullMask(Size size, Point2f[] points, float inset)
    {
        var hull = Cv2.ConvexHull(points.Select(p => new Point((int)Math.Round(p.X), (int)Math.Round(p.Y))));
        var mask = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
        Cv2.FillConvexPoly(mask, hull, Scalar.All(255));
        var k = Math.Max(1, (int)Math.Round(inset));
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * k + 1, 2 * k + 1));
        Cv2.Erode(mask, mask, kernel);

        // seamlessClone needs the mask off the image border.
        Cv2.Rectangle(mask, new Rect(0, 0, mask.Cols, mask.Rows), Scalar.All(0), thickness: 1);
        return mask;
    }

    /// <summary>
    /// Replaces the low-frequency part of the warped source (blurred inside the mask only, so the background does not
    /// bleed in) with the target's: full for colour (a, b), <paramref name="strength"/>/2 for lightness, whose shading
    /// also carries some of the face's shape.
    /// </summary>
    private static void TransferLighting(Mat warped, Mat targetRegion, Mat mask, float sigma, float strength)
    {
        using var weight = new Mat();
        mask.ConvertTo(weight, MatType.CV_32F, 1.0 / 255);
        using var weightBlur = new Mat();
        Cv2.GaussianBlur(weight, weightBlur, new Size(0, 0), sigma);
        Cv2.Max(weightBlur, 1e-3, weightBlur);
        using var srcLab = ToLab(warped);
        using var dstLab = ToLab(targetRegion);
        var src = srcLab.Split();
        var dst = dstLab.Split();
        try
        {
            for (var c = 0; c < 3; c++)
            {
                using var srcLow = MaskedBlur(src[c], weight, weightBlur, sigma);
                using var dstLow = MaskedBlur(dst[c], weight, weightBlur, sigma);
                using var delta = new Mat();
                Cv2.Subtract(dstLow, srcLow, delta);
                Cv2.ScaleAdd(delta, c == 0 ? strength * 0.5 : strength, src[c], src[c]);
            }

            Cv2.Merge(src, srcLab);
        }
        finally
        {
            foreach (var m in src.Concat(dst))
            {
                m.Dispose();
            }
        }

        using var bgr = new Mat();
        Cv2.CvtColor(srcLab, bgr, ColorConversionCodes.Lab2BGR);
        bgr.ConvertTo(warped, MatType.CV_8UC3, 255);
    }

    private static Mat ToLab(Mat bgr8)
    {
        using var f = new Mat();
        bgr8.ConvertTo(f, MatType.CV_32FC3, 1.0 / 255);
        var lab = new Mat();
        Cv2.CvtColor(f, lab, ColorConversionCodes.BGR2Lab);
        return lab;
    }

    private static Mat MaskedBlur(Mat channel, Mat weight, Mat weightBlur, float sigma)
    {
        using var weighted = new Mat();
        Cv2.Multiply(channel, weight, weighted);
        var blurred = new Mat();
        Cv2.GaussianBlur(weighted, blurred, new Size(0, 0), sigma);
        Cv2.Divide(blurred, weightBlur, blurred);
        return blurred;
    }

    private static void TransferColour(Mat warped, Mat targetRegion, Mat mask, float strength)
    {
        using var srcLab = new Mat();
        using var dstLab = new Mat();
        Cv2.CvtColor(warped, srcLab, ColorConversionCodes.BGR2Lab);
        Cv2.CvtColor(targetRegion, dstLab, ColorConversionCodes.BGR2Lab);
        Cv2.MeanStdDev(srcLab, out var srcMean, out var srcStd, mask);
        Cv2.MeanStdDev(dstLab, out var dstMean, out var dstStd, mask);

        using var f = new Mat();
        srcLab.ConvertTo(f, MatType.CV_32FC3);
        var channels = f.Split();
        for (var c = 0; c < 3; c++)
        {
            var scale = srcStd[c] > 1e-3 ? dstStd[c] / srcStd[c] : 1.0;
            scale = 1 + (Math.Clamp(scale, 0.5, 2.0) - 1) * strength;
            var shift = (dstMean[c] - srcMean[c]) * strength;
            // x' = (x - mean_s) * scale + mean_s + shift
            channels[c].ConvertTo(channels[c], MatType.CV_32F, scale, srcMean[c] * (1 - scale) + shift);
        }

        Cv2.Merge(channels, f);
        foreach (var ch in channels)
        {
            ch.Dispose();
        }

        using var lab8 = new Mat();
        f.ConvertTo(lab8, MatType.CV_8UC3);
        Cv2.CvtColor(lab8, warped, ColorConversionCodes.Lab2BGR);
    }
}
