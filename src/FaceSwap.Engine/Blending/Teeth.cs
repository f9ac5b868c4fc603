using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Landmarks;
using OpenCvSharp;

namespace FaceSwap.Engine.Blending;

/// <summary>
/// Teeth seen by look rather than by landmarks: in a smile the lips part only a little, the landmarks' inner-lip gap
/// stays small, and the teeth between them were warped onto closed target mouths as a grin (seen at 100 % on demo
/// photo 2's middle face given photo 3's smiling face). Teeth are the mouth's pixels clearly lighter and less coloured
/// than its lips, in a blob larger than a lip's highlight.
/// </summary>
public static class Teeth
{
    /// <summary>Share of the mouth's pixels with the most chroma that stand for the lips' colour.</summary>
    private const double LipQuantile = 0.6;

    /// <summary>How much lighter than the lips (Lab L) a tooth is.</summary>
    private const float LighterThanLips = 10f;

    /// <summary>A tooth's chroma is under this share of the lips'.</summary>
    private const float PalerThanLips = 0.8f;

    /// <summary>Highlights on lips are thin: blobs narrower than this (in eye distances) are not teeth.</summary>
    private const float MinWidth = 0.05f;

    /// <summary>Below this share of the mouth, what looks like teeth is more likely a lip's highlight.</summary>
    private const double MinShare = 0.03;

    /// <summary>
    /// The teeth a face shows (8-bit mask over <paramref name="lab"/>'s frame, grown to take their soft edges), or null
    /// when it shows none; <paramref name="lab"/> is the face's image as float Lab (L 0-100) in the coordinates of
    /// <paramref name="landmarks"/>.
    /// </summary>
    public static Mat? Find(Mat lab, Point2f[] landmarks)
    {
        var (teeth, share) = Detect(lab, landmarks);
        if (teeth is null || share < MinShare)
        {
            teeth?.Dispose();
            return null;
        }

        var grow = Math.Max(1, (int)Math.Round(0.03f * FaceGeometry.EyeDistance(landmarks)));
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * grow + 1, 2 * grow + 1));
        Cv2.Dilate(teeth, teeth, kernel);
        return teeth;
    }

    /// <summary>Fills <paramref name="teeth"/> in <paramref name="bgr"/> (changed in place) from the lips around them.</summary>
    public static void PaintOut(Mat bgr, Mat teeth, Point2f[] landmarks) =>
        Cv2.Inpaint(bgr, teeth, bgr, Math.Max(3, 0.06 * FaceGeometry.EyeDistance(landmarks)), InpaintTypes.Telea);

    /// <summary>The share (0-1) of the mouth (inside the outer lip line) that shows teeth.</summary>
    public static double Share(Mat lab, Point2f[] landmarks)
    {
        var (teeth, share) = Detect(lab, landmarks);
        teeth?.Dispose();
        return share;
    }

    private static (Mat? Teeth, double Share) Detect(Mat lab, Point2f[] landmarks)
    {
        using var mouth = new Mat(lab.Size(), MatType.CV_8UC1, Scalar.All(0));
        FaceRegions.FillMouth(mouth, landmarks, grow: 0);
        var box = Cv2.BoundingRect(mouth);
        var area = Cv2.CountNonZero(mouth);
        if (area < 16)
        {
            return (null, 0);
        }

        using var mouthLab = new Mat(lab, box);
        using var inside = new Mat(mouth, box);
        var channels = mouthLab.Split();
        try
        {
            using var chroma = new Mat();
            Cv2.Magnitude(channels[1], channels[2], chroma);
            var lipChroma = Quantile.Of(chroma, inside, LipQuantile);
            using var lips = new Mat();
            Cv2.Threshold(chroma, lips, lipChroma, 255, ThresholdTypes.Binary);
            lips.ConvertTo(lips, MatType.CV_8U);
            Cv2.BitwiseAnd(lips, inside, lips);
            var lipLight = Quantile.Of(channels[0], lips, 0.5);
            var lipColour = Quantile.Of(chroma, lips, 0.5);

            using var light = new Mat();
            Cv2.Threshold(channels[0], light, lipLight + LighterThanLips, 255, ThresholdTypes.Binary);
            using var pale = new Mat();
            Cv2.Threshold(chroma, pale, PalerThanLips * lipColour, 255, ThresholdTypes.BinaryInv);
            using var teeth = new Mat();
            Cv2.BitwiseAnd(light, pale, teeth);
            teeth.ConvertTo(teeth, MatType.CV_8U);
            Cv2.BitwiseAnd(teeth, inside, teeth);

            var k = Math.Max(1, (int)Math.Round(MinWidth / 2 * FaceGeometry.EyeDistance(landmarks)));
            using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * k + 1, 2 * k + 1));
            Cv2.MorphologyEx(teeth, teeth, MorphTypes.Open, kernel);
            var found = new Mat(lab.Size(), MatType.CV_8UC1, Scalar.All(0));
            using (var place = new Mat(found, box))
            {
                teeth.CopyTo(place);
            }

            return (found, (double)Cv2.CountNonZero(teeth) / area);
        }
        finally
        {
            foreach (var c in channels)
            {
                c.Dispose();
            }
        }
    }
}
