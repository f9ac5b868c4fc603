using FaceSwap.Engine.Blending;
using FaceSwap.Engine.Detection;
using OpenCvSharp;

namespace FaceSwap.Engine.Landmarks;

/// <summary>The five-point warp templates of the public models, normalised to a 1x1 crop (multiply by the crop size).</summary>
public static class WarpTemplates
{
    /// <summary>arcface_112_v1 (simswap).</summary>
    public static readonly Point2f[] Arcface112V1 =
        [new(.35473214f, .45658929f), new(.64526786f, .45658929f), new(.50000000f, .61154464f), new(.37913393f, .77687500f), new(.62086607f, .77687500f)];

    /// <summary>arcface_112_v2 (ArcFace recognition).</summary>
    public static readonly Point2f[] Arcface112V2 =
        [new(.34191607f, .46157411f), new(.65653393f, .45983393f), new(.50022500f, .64050536f), new(.37097589f, .82469196f), new(.63151696f, .82325089f)];

    /// <summary>arcface_128 (inswapper): arcface_112_v2 shifted 8 px right inside a 128 crop.</summary>
    public static readonly Point2f[] Arcface128 =
        [new(.36167656f, .40387734f), new(.63696719f, .40235469f), new(.50019687f, .56044219f), new(.38710391f, .72160547f), new(.61507734f, .72034453f)];

    /// <summary>ffhq_512 (gfpgan).</summary>
    public static readonly Point2f[] Ffhq512 =
        [new(.37691676f, .46864664f), new(.62285697f, .46912813f), new(.50123859f, .61331904f), new(.39308822f, .72541100f), new(.61150205f, .72490465f)];
}

/// <summary>Five-point similarity alignment into a model's crop, and paste-back with the inverse transform.</summary>
public static class FaceAlignment
{
    /// <summary>
    /// The five points a face is aligned with: its <see cref="DetectedFace.AlignmentPoints"/> (2dfan4's, else the
    /// detector's keypoints) where present, else those of its 68 landmarks (FaceFusion's '5/68').
    /// </summary>
    public static Point2f[] FivePoints(DetectedFace face) =>
        face.AlignmentPoints.Length == 5 ? face.AlignmentPoints : FaceGeometry.FivePoints(face.Landmarks);

    /// <summary>The similarity transform taking a face's <see cref="FivePoints(DetectedFace)"/> to a template.</summary>
    public static Mat Estimate(DetectedFace face, Point2f[] template, int size) => Estimate(FivePoints(face), template, size);

    /// <summary>
    /// The similarity transform (2x3, CV_64F) taking five points (eyes, nose tip, mouth corners; or 68 landmarks, from
    /// which they are derived) to <paramref name="template"/> scaled to <paramref name="size"/>.
    /// </summary>
    public static Mat Estimate(Point2f[] points, Point2f[] template, int size)
    {
        var five = points.Length == 5 ? points : FaceGeometry.FivePoints(points);
        var target = template.Select(p => new Point2f(p.X * size, p.Y * size)).ToArray();
        using var from = InputArray.Create(five);
        using var to = InputArray.Create(target);
        return Cv2.EstimateAffinePartial2D(from, to, null, RobustEstimationAlgorithms.RANSAC, ransacReprojThreshold: 100)
            ?? throw new FaceSwapException(FaceSwapErrorKind.ModelError, "could not align the face to the model's template");
    }

    /// <summary>
    /// How far a face is turned in the image plane, snapped to 0, 90, 180 or 270 degrees (FaceFusion's face angle): the
    /// direction of its eye line, from the first eye to the second. 0 without five points.
    /// </summary>
    public static int FaceAngle(Point2f[] five)
    {
        if (five.Length != 5)
        {
            return 0;
        }

        var degrees = Math.Atan2(five[1].Y - five[0].Y, five[1].X - five[0].X) * 180 / Math.PI;
        return (int)(Math.Round((degrees + 360) % 360 / 90) * 90) % 360;
    }

    /// <summary>The aligned crop (BGR, size x size) of a face.</summary>
    public static Mat Crop(Mat bgr, Mat affine, int size)
    {
        var crop = new Mat();
        Cv2.WarpAffine(bgr, crop, affine, new Size(size, size), InterpolationFlags.Area, BorderTypes.Replicate);
        return crop;
    }

    /// <summary>
    /// A feathered box mask (CV_32F, 0..1) of a crop: on each side a border of max(size*blur/4, 1) pixels, or the
    /// side's padding percent of the crop if larger, is zeroed, then a Gaussian blur of sigma size*blur/8 softens the
    /// edge.
    /// </summary>
    public static Mat BoxMask(int size, float blur, MaskPadding padding = default)
    {
        var mask = new Mat(size, size, MatType.CV_32FC1, Scalar.All(0));
        var border = Math.Max((int)(size * 0.5f * blur) / 2, 1);
        int Side(int percent) => Math.Max(border, size * percent / 100);
        var (top, right, bottom, left) = (Side(padding.Top), Side(padding.Right), Side(padding.Bottom), Side(padding.Left));
        if (left + right < size && top + bottom < size)
        {
            using var inner = new Mat(mask, new Rect(left, top, size - left - right, size - top - bottom));
            inner.SetTo(Scalar.All(1));
        }

        var sigma = size * 0.5 * blur * 0.25;
        if (sigma > 0)
        {
            Cv2.GaussianBlur(mask, mask, new Size(0, 0), sigma);
        }

        return mask;
    }

    /// <summary>
    /// Warps a generated crop back into the frame with the inverse of <paramref name="affine"/> and blends it through
    /// the mask, touching only the frame box of the crop's four corners. Returns that box (empty when the face lies
    /// outside the frame).
    /// </summary>
    public static Rect PasteBack(Mat frame, Mat crop, Mat mask, Mat affine, PasteOptions options)
    {
        using var inverse = new Mat();
        Cv2.InvertAffineTransform(affine, inverse);
        var size = crop.Width;
        var corners = new[] { new Point2f(0, 0), new Point2f(size, 0), new Point2f(0, size), new Point2f(size, size) }
            .Select(p => Apply(inverse, p)).ToArray();
        var x1 = (int)Math.Floor(corners.Min(p => p.X));
        var y1 = (int)Math.Floor(corners.Min(p => p.Y));
        var x2 = (int)Math.Ceiling(corners.Max(p => p.X));
        var y2 = (int)Math.Ceiling(corners.Max(p => p.Y));
        var box = new Rect(x1, y1, x2 - x1, y2 - y1).Intersect(new Rect(0, 0, frame.Width, frame.Height));
        if (box.Width <= 0 || box.Height <= 0)
        {
            return default;
        }

        // The inverse, shifted so that it writes into the box only.
        using var local = inverse.Clone();
        local.Set(0, 2, inverse.At<double>(0, 2) - box.X);
        local.Set(1, 2, inverse.At<double>(1, 2) - box.Y);
        using var warped = new Mat();
        using var warpedMask = new Mat();
        Cv2.WarpAffine(crop, warped, local, box.Size, InterpolationFlags.Linear, BorderTypes.Replicate);
        Cv2.WarpAffine(mask, warpedMask, local, box.Size, InterpolationFlags.Linear, BorderTypes.Constant, Scalar.All(0));
        using var region = new Mat(frame, box);
        if (options.Poisson)
        {
            PoissonBlend(region, warped, warpedMask, options.BlendRatio);
        }
        else
        {
            AlphaBlend(region, warped, warpedMask, options.BlendRatio);
        }

        return box;
    }

    private static void AlphaBlend(Mat region, Mat warped, Mat mask, float ratio)
    {
        using var alpha = new Mat();
        Cv2.Multiply(mask, Scalar.All(Math.Clamp(ratio, 0f, 1f)), alpha);
        using var alpha3 = new Mat();
        Cv2.Merge([alpha, alpha, alpha], alpha3);
        using var inverse3 = new Mat();
        Cv2.Subtract(Scalar.All(1), alpha3, inverse3);
        using var a = new Mat();
        using var b = new Mat();
        region.ConvertTo(a, MatType.CV_32FC3);
        warped.ConvertTo(b, MatType.CV_32FC3);
        Cv2.Multiply(a, inverse3, a);
        Cv2.Multiply(b, alpha3, b);
        Cv2.Add(a, b, a);
        a.ConvertTo(region, MatType.CV_8UC3);
    }

    private static void PoissonBlend(Mat region, Mat warped, Mat mask, float ratio)
    {
        using var binary = new Mat();
        Cv2.Threshold(mask, binary, 0.5, 255, ThresholdTypes.Binary);
        using var mask8 = new Mat();
        binary.ConvertTo(mask8, MatType.CV_8UC1);

        // seamlessClone needs a mask that keeps clear of the image border.
        Cv2.Rectangle(mask8, new Rect(0, 0, mask8.Cols, mask8.Rows), Scalar.All(0), 1);
        var bounds = Cv2.BoundingRect(mask8);
        if (bounds.Width < 3 || bounds.Height < 3)
        {
            return;
        }

        using var cloned = new Mat();
        var centre = new Point(bounds.X + bounds.Width / 2, bounds.Y + bounds.Height / 2);
        Cv2.SeamlessClone(warped, region, mask8, centre, cloned, SeamlessCloneFlags.NormalClone);

        // The feathered mask still decides how much of the cloned face shows, so its edge stays soft.
        AlphaBlend(region, cloned, mask, ratio);
    }

    private static Point2f Apply(Mat m, Point2f p) => new(
        (float)(m.At<double>(0, 0) * p.X + m.At<double>(0, 1) * p.Y + m.At<double>(0, 2)),
        (float)(m.At<double>(1, 0) * p.X + m.At<double>(1, 1) * p.Y + m.At<double>(1, 2)));
}
