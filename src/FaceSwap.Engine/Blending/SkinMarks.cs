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

    /// <summary>
    /// The marks on the skin of a face (8-bit mask over <paramref name="skin"/>'s frame, grown to take their soft edges),
    /// or null when there are none, or too many to be marks. <paramref name="skin"/> is the face's skin model (255 = skin).
    /// </summary>
    public static Mat? Find(Mat skin, Point2f[] landmarks)
    {
        using var sample = RealismMeter.SkinMask(skin.Size(), landmarks);
        var area = Cv2.CountNonZero(sample);
        using var marks = new Mat();
        Cv2.BitwiseNot(skin, marks);
        Cv2.BitwiseAnd(marks, sample, marks);
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

    /// <summary>Fills <paramref name="marks"/> in <paramref name="bgr"/> (changed in place) from the skin around them.</summary>
    public static void PaintOut(Mat bgr, Mat marks, Point2f[] landmarks)
    {
        var eye = Math.Max(1f, FaceGeometry.EyeDistance(landmarks));
        Cv2.Inpaint(bgr, marks, bgr, Math.Max(3, 0.06 * eye), InpaintTypes.Telea);
    }
}
