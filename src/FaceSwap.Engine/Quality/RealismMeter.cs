using FaceSwap.Engine.Blending;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Landmarks;
using OpenCvSharp;

namespace FaceSwap.Engine.Quality;

/// <summary>
/// How far a swapped face's low-frequency colour and light, and its fine texture, moved from the target's: the three
/// realism figures of docs/quality.md, measured on the written output against the input over the face's skin.
/// </summary>
/// <param name="Tint">95th percentile over the skin of the Lab a*b* distance of the low-frequency colour (0 = same).</param>
/// <param name="Shade">95th percentile over the skin of the Lab L difference of the low-frequency light (0-100).</param>
/// <param name="Detail">Standard deviation of the Laplacian of grey over the skin, output over input (1 = same).</param>
public sealed record RealismFigures(float Tint, float Shade, float Detail)
{
    /// <summary>
    /// How sharp the eyes are, output over input (1 = as sharp as the target's own): the standard deviation of the
    /// Laplacian of grey over the eyes divided by that of grey, at 40 px between the eyes; null when not measured.
    /// </summary>
    public float? Sharpness { get; init; }

    /// <summary>Largest tint a face may have without being listed for review.</summary>
    public const float MaxTint = 5f;

    /// <summary>Largest shade a face may have without being listed for review.</summary>
    public const float MaxShade = 7f;

    /// <summary>Smallest detail ratio a face may have without being listed for review.</summary>
    public const float MinDetail = 0.75f;

    /// <summary>Largest detail ratio a face may have without being listed for review.</summary>
    public const float MaxDetail = 1.35f;

    /// <summary>Smallest sharpness a face may have without being listed for review (a softer face looks blurred).</summary>
    public const float MinSharpness = 0.6f;

    /// <summary>Whether all three figures are within the thresholds.</summary>
    public bool WithinThresholds => Tint <= MaxTint && Shade <= MaxShade && Detail is >= MinDetail and <= MaxDetail;
}

/// <summary>Measures <see cref="RealismFigures"/> for one face; stateless and thread-safe.</summary>
public static class RealismMeter
{
    /// <summary>Sigma of the low-frequency blur, in eye distances.</summary>
    public const float LowFrequencySigma = 0.15f;

    /// <summary>How far the brow points are lifted to close the forehead band, in eye distances.</summary>
    public const float ForeheadLift = 0.6f;

    /// <summary>Eye distance, in pixels, at which sharpness is measured (larger faces are measured shrunk to it).</summary>
    public const float SharpnessEyeDistance = 40f;

    /// <summary>How far the skin region is shrunk, and the eyes, brows and mouth grown, in eye distances.</summary>
    public const float Shrink = 0.1f;

    /// <summary>
    /// The figures of a face at <paramref name="landmarks"/> (68 points, found afresh on <paramref name="output"/>),
    /// comparing <paramref name="output"/> with <paramref name="input"/> (same size, BGR). Null when the face has
    /// too little skin in the frame to measure (under 50 pixels). <paramref name="featureMargin"/> is how far, in eye
    /// distances, the eyes, brows and mouth are grown before they are taken out (<see cref="Shrink"/> for the reported
    /// figures; a swapper judging its own result with the target's landmarks uses less, to allow for the landmarks
    /// found afresh on the output moving). Without <paramref name="sharpness"/> the figure of that name is left null
    /// (a swapper judging its renderings corrects only the three).
    /// </summary>
    public static RealismFigures? Measure(Mat input, Mat output, Point2f[] landmarks, float featureMargin = Shrink, bool sharpness = true)
    {
        var eye = Math.Max(1f, FaceGeometry.EyeDistance(landmarks));
        var sigma = LowFrequencySigma * eye;
        var roi = Region(landmarks, eye, (int)Math.Ceiling(3 * sigma) + 2, new Size(input.Width, input.Height));
        if (roi.Width < 4 || roi.Height < 4)
        {
            return null;
        }

        using var skin = SkinMask(roi.Size, landmarks.Select(p => new Point2f(p.X - roi.X, p.Y - roi.Y)).ToArray(), featureMargin);
        var pixels = Cv2.CountNonZero(skin);
        if (pixels < 50)
        {
            return null;
        }

        using var before = new Mat(input, roi);
        using var after = new Mat(output, roi);
        var lows = LowFrequencyLab(before, after, skin, sigma);
        using var labBefore = lows[0];
        using var labAfter = lows[1];
        var (tint, shade) = Distances(labBefore, labAfter, skin);
        var detail = LaplacianSpread(after, skin) / Math.Max(1e-3, LaplacianSpread(before, skin));
        var figures = new RealismFigures(MathF.Round(tint, 2), MathF.Round(shade, 2), MathF.Round((float)detail, 3));
        return sharpness
            ? figures with { Sharpness = MathF.Round((float)Sharpness(before, after, landmarks.Select(p => new Point2f(p.X - roi.X, p.Y - roi.Y)).ToArray(), eye), 3) }
            : figures;
    }

    /// <summary>
    /// The face's skin in a frame of <paramref name="size"/>: the hull of the jaw points and of the brow points lifted
    /// <see cref="ForeheadLift"/> eye distances along the chin-to-nose-bridge axis, shrunk by <see cref="Shrink"/> eye
    /// distances, without the eyes, brows and mouth (each grown by the same amount). 255 = skin.
    /// </summary>
    public static Mat SkinMask(Size size, Point2f[] p, float featureMargin = Shrink)
    {
        var eye = Math.Max(1f, FaceGeometry.EyeDistance(p));
        var up = Up(p);
        var outline = p[..17].Concat(p[17..27].Select(b => new Point2f(b.X + up.X * ForeheadLift * eye, b.Y + up.Y * ForeheadLift * eye)));
        var mask = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
        Cv2.FillConvexPoly(mask, Cv2.ConvexHull(outline.Select(Round)), Scalar.All(255));
        var k = Math.Max(1, (int)Math.Round(Shrink * eye));
        using (var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * k + 1, 2 * k + 1)))
        {
            Cv2.Erode(mask, mask, kernel);
        }

        var grow = Math.Max(1, (int)Math.Round(2 * featureMargin * eye));
        Cv2.FillPoly(mask, [p[36..42].Select(Round).ToArray(), p[42..48].Select(Round).ToArray(), p[48..60].Select(Round).ToArray()], Scalar.All(0));
        Cv2.Polylines(mask, [p[36..42].Select(Round).ToArray(), p[42..48].Select(Round).ToArray(), p[48..60].Select(Round).ToArray()], true, Scalar.All(0), grow);
        Cv2.Polylines(mask, [p[17..22].Select(Round).ToArray(), p[22..27].Select(Round).ToArray()], false, Scalar.All(0), grow);
        return mask;
    }

    /// <summary>
    /// The Laplacian spread over the eyes (grown by <see cref="Shrink"/> eye distances: lids and lashes), output over
    /// input, measured with the face brought to <see cref="SharpnessEyeDistance"/> pixels between the eyes: at full size
    /// the finest pixels dominate, and a sharpened soft face read as sharp while it still looked blurred. The mouth is
    /// left out: a laughing target keeps its own teeth, which read as sharp whatever the source.
    /// </summary>
    private static double Sharpness(Mat before, Mat after, Point2f[] p, float eye)
    {
        using var eyes = FaceRegions.Eyes(before.Size(), p, Shrink);
        var scale = Math.Min(1.0, SharpnessEyeDistance / eye);
        return Focus(after, eyes, scale) / Math.Max(1e-3, Focus(before, eyes, scale));
    }

    /// <summary>
    /// The Laplacian's spread over the spread of grey itself under <paramref name="mask"/>, with the image (BGR, or one
    /// channel of lightness) shrunk by <paramref name="scale"/> first (area averaging; 1: as it is): how sharp, whatever
    /// the contrast. Eyes lined in black read sharper than bare ones by Laplacian alone, and a face given bare eyes was
    /// listed as blurred. The sharpness figure's measure, shared with the swapper that keeps a source's eyes near it.
    /// </summary>
    public static double Focus(Mat image, Mat mask, double scale)
    {
        if (scale >= 1)
        {
            var (edges, contrast) = Spreads(image, mask);
            return edges / Math.Max(1.0, contrast);
        }

        var size = new Size(Math.Max(1, (int)Math.Round(image.Width * scale)), Math.Max(1, (int)Math.Round(image.Height * scale)));
        using var small = new Mat();
        using var smallMask = new Mat();
        Cv2.Resize(image, small, size, 0, 0, InterpolationFlags.Area);
        Cv2.Resize(mask, smallMask, size, 0, 0, InterpolationFlags.Nearest);
        return Focus(small, smallMask, 1);
    }

    /// <summary>Unit vector from the chin (8) to the nose bridge (27): "up" in the face's own frame.</summary>
    public static Point2f Up(Point2f[] p)
    {
        var v = new Point2f(p[27].X - p[8].X, p[27].Y - p[8].Y);
        var length = Math.Max(1e-3f, MathF.Sqrt(v.X * v.X + v.Y * v.Y));
        return new Point2f(v.X / length, v.Y / length);
    }

    private static Rect Region(Point2f[] p, float eye, int margin, Size frame)
    {
        var up = Up(p);
        var lifted = p[17..27].Select(b => new Point2f(b.X + up.X * ForeheadLift * eye, b.Y + up.Y * ForeheadLift * eye));
        var box = Cv2.BoundingRect(p[..27].Concat(lifted).Select(Round));
        return new Rect(box.X - margin, box.Y - margin, box.Width + 2 * margin, box.Height + 2 * margin)
            .Intersect(new Rect(0, 0, frame.Width, frame.Height));
    }

    /// <summary>Lab (L 0-100, a*, b*) of each region, blurred inside the mask only (normalised convolution).</summary>
    private static Mat[] LowFrequencyLab(Mat before, Mat after, Mat mask, float sigma)
    {
        using var labBefore = LabImage.FromBgr(before);
        using var labAfter = LabImage.FromBgr(after);
        using var weight = new Mat();
        mask.ConvertTo(weight, MatType.CV_32F, 1.0 / 255);
        return MaskedBlur.ApplyAll([labBefore, labAfter], weight, sigma);
    }

    private static (float Tint, float Shade) Distances(Mat before, Mat after, Mat mask)
    {
        using var diff = new Mat();
        Cv2.Subtract(after, before, diff);
        var channels = diff.Split();
        try
        {
            using var chroma = new Mat();
            Cv2.Magnitude(channels[1], channels[2], chroma);
            return (Percentile95(chroma, mask), Percentile95(channels[0], mask));
        }
        finally
        {
            foreach (var c in channels)
            {
                c.Dispose();
            }
        }
    }

    /// <summary>95th percentile of the magnitudes of the values under the mask, to 0.01 (a counting pass, no sort).</summary>
    private static float Percentile95(Mat values, Mat mask)
    {
        const float step = 0.01f;
        const int bins = 20000;
        var counts = new int[bins + 1];
        values.GetArray(out float[] v);
        mask.GetArray(out byte[] m);
        var total = 0;
        for (var i = 0; i < m.Length; i++)
        {
            if (m[i] != 0)
            {
                counts[Math.Min(bins, (int)(Math.Abs(v[i]) / step))]++;
                total++;
            }
        }

        var rank = (int)Math.Round(0.95 * (total - 1));
        var seen = 0;
        for (var b = 0; b <= bins; b++)
        {
            seen += counts[b];
            if (seen > rank)
            {
                return b * step;
            }
        }

        return 0;
    }

    private static double LaplacianSpread(Mat bgr, Mat mask) => Spreads(bgr, mask).Edges;

    /// <summary>
    /// The standard deviations, under <paramref name="mask"/>, of the Laplacian of grey and of grey itself (a one-channel
    /// image is taken as the grey).
    /// </summary>
    private static (double Edges, double Contrast) Spreads(Mat image, Mat mask)
    {
        using var converted = image.Channels() == 1 ? null : new Mat();
        if (converted is not null)
        {
            Cv2.CvtColor(image, converted, ColorConversionCodes.BGR2GRAY);
        }

        var grey = converted ?? image;
        using var laplacian = new Mat();
        Cv2.Laplacian(grey, laplacian, MatType.CV_32F);
        Cv2.MeanStdDev(laplacian, out _, out var edges, mask);
        Cv2.MeanStdDev(grey, out _, out var contrast, mask);
        return (edges.Val0, contrast.Val0);
    }

    private static Point Round(Point2f p) => new((int)Math.Round(p.X), (int)Math.Round(p.Y));
}
