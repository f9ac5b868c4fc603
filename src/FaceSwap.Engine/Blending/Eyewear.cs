using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Quality;
using OpenCvSharp;

namespace FaceSwap.Engine.Blending;

/// <summary>
/// Eyeglass frames on a face, found from its own skin model: a face wears glasses when the bridge of its nose, between
/// the inner brows and the inner eye corners, is largely not skin (a frame's bridge crosses it); the frames are then
/// the pixels around the eyes that are not skin, outside the eye openings and the brows. A source's frames are
/// painted out before it is swapped (else they land on the target's face as a ghost); a target's frames stay on top.
/// </summary>
public static class Eyewear
{
    /// <summary>Share of the nose bridge that is not skin above which a face counts as wearing glasses.</summary>
    public const float MinBridgeShare = 0.2f;

    /// <summary>Share of one row across the bridge that is not skin above which a face counts as wearing glasses.</summary>
    public const float MinBridgeRow = 0.65f;

    /// <summary>Faces turned further than this (<see cref="FaceGeometry.Yaw"/>) show no bridge to judge.</summary>
    public const float MaxYaw = 0.6f;

    /// <summary>The frames of a face (255 on them), or null when it wears none.</summary>
    /// <param name="lab">The face's pixels as float Lab (L 0-100).</param>
    /// <param name="skin">Its skin (see <see cref="SkinModel.Classify"/>), same size.</param>
    /// <param name="p">Its 68 landmarks in the same coordinates.</param>
    public static Mat? Find(Mat lab, Mat skin, Point2f[] p)
    {
        var (share, row) = Bridge(skin, p);
        return share >= MinBridgeShare || row >= MinBridgeRow ? Frames(lab.Size(), skin, p) : null;
    }

    /// <summary>
    /// How much of the nose bridge (between the inner eye corners, from the inner brows to the top of the nose) is not
    /// skin: its share, and the largest share of one row across it in the face's own frame (a frame's bridge is a
    /// band from one side to the other, a shadow is not). Zero for a face turned too far to see its bridge.
    /// </summary>
    public static (float Share, float Row) Bridge(Mat skin, Point2f[] p)
    {
        if (MathF.Abs(FaceGeometry.Yaw(p)) > MaxYaw)
        {
            return (0, 0);
        }

        // Rotate the face upright about the middle of its inner eye corners, so rows run across the bridge.
        var (a, b) = (p[39], p[42]);
        var width = FaceGeometry.Distance(a, b);
        if (width < 8)
        {
            return (0, 0);
        }

        var centre = new Point2f((a.X + b.X) / 2, (a.Y + b.Y) / 2);
        var angle = Math.Atan2(b.Y - a.Y, b.X - a.X) * 180 / Math.PI;
        using var rotation = Cv2.GetRotationMatrix2D(centre, angle, 1);
        var top = Math.Min(Upright(rotation, p[21]).Y, Upright(rotation, p[22]).Y);
        var bottom = Upright(rotation, p[28]).Y;
        var rect = new Rect((int)(centre.X - 0.35f * width), (int)top, (int)(0.7f * width), (int)(bottom - top));
        if (rect.Width < 4 || rect.Height < 4)
        {
            return (0, 0);
        }

        using var notSkin = new Mat();
        Cv2.BitwiseNot(skin, notSkin);
        using var upright = new Mat();
        Cv2.WarpAffine(notSkin, upright, rotation, skin.Size(), InterpolationFlags.Nearest, BorderTypes.Constant, Scalar.All(255));
        using var region = new Mat(upright, rect.Intersect(new Rect(0, 0, upright.Width, upright.Height)));
        if (region.Width < 4 || region.Height < 4)
        {
            return (0, 0);
        }

        using var rows = new Mat();
        Cv2.Reduce(region, rows, ReduceDimension.Column, ReduceTypes.Avg, MatType.CV_32F);
        Cv2.MinMaxLoc(rows, out _, out double row);
        return ((float)(Cv2.CountNonZero(region) / (double)region.Total()), (float)(row / 255));
    }

    /// <summary>Paints the frames out of <paramref name="bgr"/> (in place) from the skin around them.</summary>
    public static void PaintOut(Mat bgr, Mat frames, Point2f[] p)
    {
        var eye = Math.Max(1f, FaceGeometry.EyeDistance(p));
        Cv2.Inpaint(bgr, frames, bgr, Math.Max(3, 0.06 * eye), InpaintTypes.Telea);
    }

    private static Mat Frames(Size size, Mat skin, Point2f[] p)
    {
        var eye = Math.Max(1f, FaceGeometry.EyeDistance(p));
        var up = RealismMeter.Up(p);
        var down = new Point2f(-up.X, -up.Y);
        Point2f Move(Point2f q, Point2f direction, float distance) => new(q.X + direction.X * distance * eye, q.Y + direction.Y * distance * eye);

        // Where frames sit: from above the brows to below the eyes, from one side of the face to the other.
        var zone = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
        var outline = new[] { p[0], p[1], p[15], p[16], p[29], Move(p[41], down, 0.55f), Move(p[46], down, 0.55f) }
            .Concat(p[17..27].Select(b => Move(b, up, 0.2f)));
        Cv2.FillConvexPoly(zone, Cv2.ConvexHull(outline.Select(Round)), Scalar.All(255));
        var grow = Math.Max(1, (int)Math.Round(0.15f * eye));
        using (var growth = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * grow + 1, 2 * grow + 1)))
        {
            Cv2.Dilate(zone, zone, growth);
        }

        // Never the eyes (with their lashes) or the brows: they are the face, whatever their colour.
        var eyes = new[] { p[36..42].Select(Round).ToArray(), p[42..48].Select(Round).ToArray() };
        Cv2.FillPoly(zone, eyes, Scalar.All(0));
        Cv2.Polylines(zone, eyes, true, Scalar.All(0), Math.Max(1, (int)Math.Round(0.08f * eye)));
        Cv2.Polylines(zone, [p[17..22].Select(Round).ToArray(), p[22..27].Select(Round).ToArray()], false, Scalar.All(0), Math.Max(1, (int)Math.Round(0.1f * eye)));

        var frames = new Mat();
        Cv2.BitwiseNot(skin, frames);
        Cv2.BitwiseAnd(frames, zone, frames);
        zone.Dispose();
        var k = Math.Max(1, (int)Math.Round(0.02f * eye));
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * k + 1, 2 * k + 1));
        Cv2.Dilate(frames, frames, kernel);
        return frames;
    }

    private static Point2f Upright(Mat rotation, Point2f q) => new(
        (float)(rotation.At<double>(0, 0) * q.X + rotation.At<double>(0, 1) * q.Y + rotation.At<double>(0, 2)),
        (float)(rotation.At<double>(1, 0) * q.X + rotation.At<double>(1, 1) * q.Y + rotation.At<double>(1, 2)));

    private static Point Round(Point2f q) => new((int)Math.Round(q.X), (int)Math.Round(q.Y));
}
