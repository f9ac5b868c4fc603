using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Quality;
using OpenCvSharp;

namespace FaceSwap.Engine.Blending;

/// <summary>
/// What lies on a source face's skin but is not skin (face paint, a drawn mark, a sticker, a strand of hair, a
/// fingertip): the swap leaves such spots out, and their feathered edges then showed on the target as pale outlines of
/// the paint (a triangle under an eye, rings on the cheeks, seen at 100 % on demo photo 3 given photo 1's painted
/// face). Painting them out of the source first fills them with the source's own skin around them.
/// </summary>
public static class SkinMarks
{
    /// <summary>Above this share of the skin sample, "not skin" is more likely light the skin model missed than marks.</summary>
    private const double MaxShare = 0.25;

    /// <summary>Shine is lighter than the skin's median by at least this many of its light spreads.</summary>
    private const float ShineLight = 1f;

    /// <summary>Shine is no more saturated than the skin's median chroma plus this many chroma spreads.</summary>
    private const float ShineChroma = 2f;

    /// <summary>Sigma, in eye distances, of the skin light that softened shine is brought towards.</summary>
    private const float ShineScale = 0.15f;

    /// <summary>How much of its own brightness above the skin around softened shine keeps.</summary>
    private const float ShineKept = 0.2f;

    /// <summary>
    /// The marks on the skin of a face (8-bit mask over <paramref name="skin"/>'s frame, grown to take their soft edges),
    /// or null when there are none, or too many to be marks. <paramref name="skin"/> is the face's skin model (255 = skin);
    /// <paramref name="shine"/> (see <see cref="Shine"/>) is not a mark.
    /// </summary>
    public static Mat? Find(Mat skin, Mat shine, Point2f[] landmarks)
    {
        using var sample = RealismMeter.SkinMask(skin.Size(), landmarks);
        var area = Cv2.CountNonZero(sample);
        using var marks = new Mat();
        Cv2.BitwiseNot(skin, marks);
        Cv2.BitwiseAnd(marks, sample, marks);
        Cv2.Subtract(marks, shine, marks);

        var count = Cv2.CountNonZero(marks);
        if (count == 0 || count > MaxShare * area)
        {
            return null;
        }

        var eye = Math.Max(1f, FaceGeometry.EyeDistance(landmarks));
        var grow = Math.Max(1, (int)Math.Round(0.04f * eye));
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * grow + 1, 2 * grow + 1));
        var grown = new Mat();
        Cv2.Dilate(marks, grown, kernel);
        return grown;
    }

    /// <summary>
    /// Shine inside <paramref name="area"/> (8-bit): not skin by the skin model (<paramref name="skin"/>), lighter than
    /// the skin (<paramref name="stats"/>, <see cref="SkinModel.Learn"/>) and no more saturated (white light on skin). Painted out like a
    /// mark, a source's highlight was filled from its own bright halo: flat, pale patches with hard edges on its temple
    /// and nose tip, which the swap then carried onto the target (seen at 100 % with held-out sample5's third face as the
    /// source).
    /// </summary>
    public static Mat Shine(Mat lab, Mat skin, (float[] Median, float[] Spread)? stats, Mat area)
    {
        var shine = new Mat(skin.Size(), MatType.CV_8UC1, Scalar.All(0));
        if (stats is not { } learnt)
        {
            return shine;
        }

        var (median, spread) = learnt;
        var chroma = MathF.Sqrt(median[1] * median[1] + median[2] * median[2]) + ShineChroma * MathF.Max(spread[1], spread[2]);
        var channels = lab.Split();
        using var light = new Mat();
        using var saturation = new Mat();
        try
        {
            Cv2.Threshold(channels[0], light, median[0] + ShineLight * spread[0], 255, ThresholdTypes.Binary);
            Cv2.Magnitude(channels[1], channels[2], saturation);
        }
        finally
        {
            foreach (var c in channels)
            {
                c.Dispose();
            }
        }

        using var pale = new Mat();
        Cv2.Threshold(saturation, pale, chroma, 255, ThresholdTypes.BinaryInv);
        Cv2.Min(light, pale, light);
        light.ConvertTo(shine, MatType.CV_8U);
        using var notSkin = new Mat();
        Cv2.BitwiseNot(skin, notSkin);
        Cv2.BitwiseAnd(shine, notSkin, shine);
        Cv2.BitwiseAnd(shine, area, shine);
        return shine;
    }

    /// <summary>
    /// Softens <paramref name="shine"/> in <paramref name="bgr"/> (changed in place; <paramref name="lab"/> is the same
    /// image in Lab): its light and colour are brought towards the skin's around it (a masked blur of the skin), keeping a
    /// little of its own brightness, with a feathered edge, so no outline is left where the highlight was.
    /// </summary>
    public static void Soften(Mat bgr, Mat lab, Mat shine, Mat skin, Point2f[] landmarks)
    {
        var eye = Math.Max(1f, FaceGeometry.EyeDistance(landmarks));
        using var weight = new Mat();
        skin.ConvertTo(weight, MatType.CV_32F, 1.0 / 255);
        using var around = MaskedBlur.Apply(lab, weight, Math.Max(1.0, ShineScale * eye));

        // Grown and feathered: a highlight's halo fades into the skin beyond what the skin model calls not skin.
        var grow = Math.Max(1, (int)Math.Round(0.04f * eye));
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * grow + 1, 2 * grow + 1));
        using var alpha = new Mat();
        Cv2.Dilate(shine, alpha, kernel);
        alpha.ConvertTo(alpha, MatType.CV_32F, (1 - ShineKept) / 255);
        Cv2.GaussianBlur(alpha, alpha, new Size(0, 0), Math.Max(1.0, 0.04 * eye));

        // Only what is lighter than the skin around is taken down: the shine's darker rim stays as it is.
        using var difference = new Mat();
        Cv2.Subtract(around, lab, difference);
        using var lighter = new Mat();
        using (var l = difference.ExtractChannel(0))
        {
            Cv2.Threshold(l, lighter, 0, 1, ThresholdTypes.BinaryInv);
        }

        Cv2.Multiply(alpha, lighter, alpha);
        using var alpha3 = new Mat();
        Cv2.Merge([alpha, alpha, alpha], alpha3);
        Cv2.Multiply(difference, alpha3, difference);
        Cv2.Add(lab, difference, difference);
        using var softened = new Mat();
        Cv2.CvtColor(difference, softened, ColorConversionCodes.Lab2BGR);
        softened.ConvertTo(bgr, MatType.CV_8UC3, 255);
    }

    /// <summary>Fills <paramref name="marks"/> in <paramref name="bgr"/> (changed in place) from the skin around them.</summary>
    public static void PaintOut(Mat bgr, Mat marks, Point2f[] landmarks)
    {
        var eye = Math.Max(1f, FaceGeometry.EyeDistance(landmarks));
        Cv2.Inpaint(bgr, marks, bgr, Math.Max(3, 0.06 * eye), InpaintTypes.Telea);
    }
}
