using OpenCvSharp;

namespace FaceSwap.Engine.Blending;

/// <summary>
/// Makes a warped source face look lit, coloured and photographed like the target: its low-frequency colour and light
/// are replaced by the target's over the whole swapped region (forehead included), and its fine detail and grain are
/// brought to the target's level (blurred when sharper, given the target's noise when softer).
/// </summary>
public static class AppearanceMatch
{
    /// <summary>Sigma of the colour and light transfer, in eye distances: shading broader than this is the target's.</summary>
    public const float LightingScale = 0.15f;

    /// <summary>Sigma of the target's skin colour, in eye distances (wide enough to fill its lips and eyes from around them).</summary>
    private const float SkinToneScale = 0.06f;

    /// <summary>Sigma of the lips' colour taken from the target's lips, in eye distances.</summary>
    private const float LipColourScale = 0.1f;

    /// <summary>How much of the source lips' own colour variation (finer than <see cref="LipColourScale"/>) is kept.</summary>
    private const double LipColourDetail = 0.3;

    /// <summary>Blur sigmas tried, in pixels, when the source is sharper than the target.</summary>
    private static readonly double[] Blurs = [0.5, 0.7, 0.9, 1.2, 1.6, 2.1, 2.8];

    /// <summary>Unsharp-mask amounts tried, up to the largest, when the source's features are softer than the target's.</summary>
    private static readonly double[] Sharpenings = [0.25, 0.5, 0.75, 1.0, 1.25, MaxSharpening];

    /// <summary>How much sharper than the target's own a source's eyes may stay (see <see cref="SoftenSharperFeatures"/>).</summary>
    private const double MaxFeatureFocus = 1.3;

    /// <summary>The largest unsharp-mask amount given to a soft source's features.</summary>
    private const double MaxSharpening = 1.5;

    /// <summary>Sigma of the unsharp mask, in pixels: the finest detail, where focus shows.</summary>
    private const double SharpeningSigma = 1.5;

    /// <summary>Share of an eye's pixels taken as its white: the greyest half of its lighter half.</summary>
    private const double EyeWhiteShare = 0.25;

    /// <summary>The largest change of an eye's colour (Lab a*b* distance) the white balance makes.</summary>
    private const double MaxEyeWhiteShift = 15;

    /// <summary>Detail ratios (source over target) inside which nothing is done.</summary>
    private const double SharperLimit = 1.08;
    private const double SofterLimit = 0.92;

    /// <summary>
    /// Gives <paramref name="source"/> (float Lab, changed in place; the source <paramref name="deltas"/> were measured
    /// on) the target's light and colour where the deltas' weight is set. On skin, light broader than <see cref="LightingScale"/> eye
    /// distances and all colour are the target's (skin tone carries no identity, and a source's blush, make-up or
    /// coloured light must not come along: the colour is <paramref name="skinTone"/>, the target's skin colour with its own
    /// lips, eyes and brows filled in from around them, so they do not show beside the source's); inside the features (<paramref name="features"/>, CV_32F 0-1, soft) the
    /// source keeps its own colour and its shading up to <see cref="FaceLook.FeatureLightScale"/>. A grey target keeps its own
    /// (absent) colour everywhere.
    /// </summary>
    public static void TransferLight(Mat source, LightDeltas deltas, Mat target, Mat skinTone, Mat features, Mat colourFeatures, bool greyTarget, FaceLook look)
    {
        var skinDelta = deltas.Skin;
        var featureDelta = deltas.Features(look.FeatureLightScale);
        using var features3 = new Mat();
        Cv2.Merge([features, features, features], features3);

        // delta = skin + features * (feature - skin)
        using var delta = new Mat();
        Cv2.Subtract(featureDelta, skinDelta, delta);
        Cv2.Multiply(delta, features3, delta);
        Cv2.Add(delta, skinDelta, delta);

        // Colour is relit by the light measured on skin only: a delta taken over the features would carry the target's
        // lip and lid pigment into the source's (an orange upper lip, a yellow lid).
        for (var c = 1; c < 3; c++)
        {
            using var chroma = skinDelta.ExtractChannel(c);
            Cv2.InsertChannel(chroma, delta, c);
        }

        Cv2.Add(source, delta, source);

        var channels = source.Split();
        var targetChannels = (greyTarget ? target : skinTone).Split();
        try
        {
            for (var c = 1; c < 3; c++)
            {
                if (greyTarget)
                {
                    // No colour may leak into a black-and-white photo.
                    targetChannels[c].CopyTo(channels[c]);
                    continue;
                }

                // colour = target + features * (source - target)
                using var difference = new Mat();
                Cv2.Subtract(channels[c], targetChannels[c], difference);
                Cv2.Multiply(difference, colourFeatures, difference, look.FeatureColour);
                Cv2.Add(targetChannels[c], difference, channels[c]);
            }

            Cv2.Merge(channels, source);
        }
        finally
        {
            foreach (var c in channels.Concat(targetChannels))
            {
                c.Dispose();
            }
        }
    }

    /// <summary>
    /// Gives the source's lips (<paramref name="source"/>, float Lab, changed in place) the colour of the target's lips at
    /// low frequency (<see cref="LipColourScale"/>), keeping their lightness and finer colour: a lipstick and the light on
    /// the lips are the target's, as its skin tone is. The source's lip colour is its light's as much as its own: demo
    /// photo 3's best face is lit orange on one side and blue on the other, and gave the README demo's red-lipped face
    /// lips lilac above and orange below. <paramref name="sourceLips"/> and <paramref name="targetLips"/> (8-bit) are the
    /// lips of each, their openings left out; <paramref name="where"/> (CV_32F 0-1) how much of the change applies.
    /// </summary>
    public static void MatchLipColour(Mat source, Mat target, Mat sourceLips, Mat targetLips, Mat where, float eyeDistance)
    {
        var sigma = Math.Max(1.0, LipColourScale * eyeDistance);
        using var sourceWeight = new Mat();
        sourceLips.ConvertTo(sourceWeight, MatType.CV_32F, 1.0 / 255);
        using var targetWeight = new Mat();
        targetLips.ConvertTo(targetWeight, MatType.CV_32F, 1.0 / 255);
        using var sourceLow = MaskedBlur.Apply(source, sourceWeight, sigma);
        using var targetLow = MaskedBlur.Apply(target, targetWeight, sigma);
        for (var c = 1; c < 3; c++)
        {
            // lips = target's lips + LipColourDetail * (source - source's lips), blended in by where.
            using var chroma = source.ExtractChannel(c);
            using var own = sourceLow.ExtractChannel(c);
            using var wanted = targetLow.ExtractChannel(c);
            using var lips = new Mat();
            Cv2.Subtract(chroma, own, lips);
            Cv2.AddWeighted(wanted, 1, lips, LipColourDetail, 0, lips);
            Cv2.Subtract(lips, chroma, lips);
            Cv2.Multiply(lips, where, lips);
            Cv2.Add(chroma, lips, chroma);
            Cv2.InsertChannel(chroma, source, c);
        }
    }

    /// <summary>
    /// The target's skin colour (Lab, smooth), with its own features (<paramref name="ownFeatures"/>, 8-bit) filled in
    /// from the skin around them: what a swapped face's skin is coloured with.
    /// </summary>
    public static Mat SkinTone(Mat target, Mat region, Mat ownFeatures, float eyeDistance)
    {
        using var weight = new Mat();
        region.ConvertTo(weight, MatType.CV_32F, 1.0 / 255);
        using var features = new Mat();
        ownFeatures.ConvertTo(features, MatType.CV_32F, 1.0 / 255);
        Cv2.Subtract(weight, features, weight);
        Cv2.Max(weight, 0, weight);
        return MaskedBlur.Apply(target, weight, Math.Max(1.0, SkinToneScale * eyeDistance));
    }

    internal static Mat LowFrequencyDelta(Mat source, Mat target, Mat weight, double sigma)
    {
        sigma = Math.Max(1.0, sigma);
        var lows = MaskedBlur.ApplyAll([source, target], weight, sigma);
        using var sourceLow = lows[0];
        using var targetLow = lows[1];
        var delta = new Mat();
        Cv2.Subtract(targetLow, sourceLow, delta);
        return delta;
    }

    /// <summary>
    /// Brings the fine detail of <paramref name="source"/> (float Lab, changed in place) to that of
    /// <paramref name="target"/> over <paramref name="skin"/> (8-bit mask), measured as the spread of the Laplacian of
    /// lightness: a sharper source is blurred, a softer one gets the missing spread as fine noise (the grain of the
    /// target's photo) from a generator seeded by <paramref name="seed"/>, so the same swap gives the same pixels.
    /// <paramref name="aim"/> scales the target's spread (a correction when the blend's edges add or take detail).
    /// A blur leaves out <paramref name="sharp"/> (CV_32F 0-1, soft; the eyes, brows and lips): a target's smooth skin
    /// says nothing of how sharp its eyes are, and blurred with the skin they made a ghostly face.
    /// Returns the source-over-target detail ratio before matching.
    /// </summary>
    public static double MatchDetail(Mat source, Mat target, Mat skin, Mat? sharp, int seed, double aim = 1.0)
    {
        if (Cv2.CountNonZero(skin) < 50)
        {
            return 1;
        }

        var wanted = LaplacianSpread(target, skin) * aim;
        var have = LaplacianSpread(source, skin);
        if (wanted < 1e-3)
        {
            return 1;
        }

        var ratio = have / wanted;
        if (ratio > SharperLimit)
        {
            // The search looks at lightness only (where detail is measured); the chosen blur then applies to all three.
            using var light = source.ExtractChannel(0);
            using var blurred = new Mat();
            foreach (var sigma in Blurs)
            {
                Cv2.GaussianBlur(light, blurred, new Size(0, 0), sigma);
                if (Spread(blurred, skin) / wanted <= 1.0 || sigma == Blurs[^1])
                {
                    BlurOutside(source, sharp, sigma);
                    break;
                }
            }
        }
        else if (ratio < SofterLimit)
        {
            // The Laplacian's 3x3 kernel has energy 20: white noise of spread n gives a Laplacian spread of n * sqrt(20).
            var missing = Math.Sqrt(wanted * wanted - have * have) / Math.Sqrt(20);
            using var noise = Noise(source.Size(), missing, seed);
            using var light = source.ExtractChannel(0);
            Cv2.Add(light, noise, light);
            Cv2.InsertChannel(light, source, 0);
        }

        return ratio;
    }

    /// <summary>
    /// Sharpens the features of a softer source (<paramref name="source"/>, float Lab, changed in place) towards the
    /// sharpness of the target's own: the spread of the Laplacian of lightness over <paramref name="sourceFeatures"/>
    /// (its eyes and mouth, 8-bit) brought up to that over <paramref name="targetFeatures"/> by an unsharp mask applied
    /// where <paramref name="where"/> (CV_32F 0-1, soft) is set, by at most <see cref="MaxSharpening"/>: an out-of-focus
    /// source otherwise gives a ghostly face, and sharpened further it shows halos and its JPEG blocks. Returns the
    /// amount used (0: none).
    /// </summary>
    public static double MatchFeatureSharpness(Mat source, Mat target, Mat sourceFeatures, Mat targetFeatures, Mat where)
    {
        if (Cv2.CountNonZero(sourceFeatures) < 50 || Cv2.CountNonZero(targetFeatures) < 50)
        {
            return 0;
        }

        using var light = source.ExtractChannel(0);
        var have = Spread(light, sourceFeatures);
        using (var targetLight = target.ExtractChannel(0))
        {
            var wanted = Spread(targetLight, targetFeatures);
            if (have >= wanted * SofterLimit)
            {
                return 0;
            }

            using var blurred = new Mat();
            Cv2.GaussianBlur(light, blurred, new Size(0, 0), SharpeningSigma);
            using var edges = new Mat();
            Cv2.Subtract(light, blurred, edges);
            Cv2.Multiply(edges, where, edges);
            using var sharpened = new Mat();
            var amount = 0.0;
            foreach (var step in Sharpenings)
            {
                amount = step;
                Cv2.ScaleAdd(edges, amount, light, sharpened);
                if (Spread(sharpened, sourceFeatures) >= wanted)
                {
                    break;
                }
            }

            Cv2.InsertChannel(sharpened, source, 0);
            return amount;
        }
    }

    /// <summary>
    /// Softens the features of a sharper source (<paramref name="source"/>, float Lab, changed in place) where
    /// <paramref name="where"/> (CV_32F 0-1, soft) is set, until its eyes (<paramref name="sourceEyes"/>, 8-bit) are at
    /// most <see cref="MaxFeatureFocus"/> times as sharp as the target's own (<paramref name="targetEyes"/>), sharpness
    /// being the Laplacian's spread over that of lightness (eyes lined in black are not sharper, only darker). A crisp
    /// portrait's eyes on a soft group photo looked drawn on. Returns the blur sigma used (0: none).
    /// </summary>
    public static double SoftenSharperFeatures(Mat source, Mat target, Mat sourceEyes, Mat targetEyes, Mat where, float eyeDistance)
    {
        if (Cv2.CountNonZero(sourceEyes) < 50 || Cv2.CountNonZero(targetEyes) < 50)
        {
            return 0;
        }

        // Measured as the sharpness figure is, at 40 px between the eyes: at full size the finest pixels dominate.
        var scale = Math.Min(1.0, Quality.RealismMeter.SharpnessEyeDistance / Math.Max(1f, eyeDistance));
        using var light = source.ExtractChannel(0);
        using var targetLight = target.ExtractChannel(0);
        var limit = Quality.RealismMeter.Focus(targetLight, targetEyes, scale) * MaxFeatureFocus;
        if (Quality.RealismMeter.Focus(light, sourceEyes, scale) <= limit)
        {
            return 0;
        }

        using var blurred = new Mat();
        using var change = new Mat();
        using var softened = new Mat();
        foreach (var sigma in Blurs)
        {
            Cv2.GaussianBlur(light, blurred, new Size(0, 0), sigma);
            Cv2.Subtract(blurred, light, change);
            Cv2.Multiply(change, where, change);
            Cv2.Add(light, change, softened);
            if (Quality.RealismMeter.Focus(softened, sourceEyes, scale) <= limit || sigma == Blurs[^1])
            {
                Cv2.InsertChannel(softened, source, 0);
                return sigma;
            }
        }

        return 0;
    }

    /// <summary>
    /// The colour (a*, b*) of the whites of a face's eyes (<paramref name="lab"/>, float Lab, with its 68
    /// <paramref name="points"/>): of each eye's outline, the greyest of its lighter pixels (<see cref="EyeWhiteShare"/>
    /// of the eye). Left eye (36) first; null for an eye that shows too few pixels.
    /// </summary>
    public static (double A, double B)?[] EyeWhites(Mat lab, Point2f[] points) => [EyeWhite(lab, points, 36), EyeWhite(lab, points, 42)];

    /// <summary>
    /// White-balances each of the source's eyes (<paramref name="source"/>, float Lab, changed in place, with its 68
    /// <paramref name="sourcePoints"/>) to the target's: the colour of its whites is moved to
    /// <paramref name="targetWhites"/> (<see cref="EyeWhites"/> of the target), and the iris with it, by at most
    /// <see cref="MaxEyeWhiteShift"/>; then each eye's darker half (iris, pupil, lash line) is moved to the mean colour of
    /// the two, by at most as much. The light's colour in an eye is not the skin's (a source lit blue on one side and
    /// orange on the other gave one blue and one amber iris, with the skin's light matched).
    /// </summary>
    public static void BalanceEyeWhites(Mat source, Point2f[] sourcePoints, IReadOnlyList<(double A, double B)?> targetWhites, float eyeDistance)
    {
        // Each eye's pixels are read once for its white and its iris.
        var eyes = new[] { EyePixels(source, sourcePoints, 36), EyePixels(source, sourcePoints, 42) };
        var shifts = new (double A, double B)?[2];
        var irises = new (double A, double B)?[2];
        for (var side = 0; side < 2; side++)
        {
            if (eyes[side] is not { } eye)
            {
                continue;
            }

            if (targetWhites[side] is { } to)
            {
                var from = White(eye);
                shifts[side] = Capped(to.A - from.A, to.B - from.B);
            }

            // The irises, once the whites are balanced, are brought to one colour: a source lit blue on one side and
            // orange on the other kept one blue and one amber iris (the README demo's painted face), whites balanced or not.
            var iris = Iris(eye);
            var (da, db) = shifts[side] ?? (0, 0);
            irises[side] = (iris.A + da, iris.B + db);
        }

        for (var side = 0; side < 2; side++)
        {
            var irisShift = irises[0] is { } left && irises[1] is { } right && irises[side] is { } own
                ? Capped((left.A + right.A) / 2 - own.A, (left.B + right.B) / 2 - own.B)
                : (0, 0);
            if (shifts[side] is null && irisShift == (0, 0))
            {
                continue;
            }

            ShiftEye(source, sourcePoints, side == 0 ? 36 : 42, shifts[side] ?? (0, 0), irisShift, eyeDistance);
        }
    }

    private static (double A, double B) Capped(double da, double db)
    {
        var length = Math.Sqrt(da * da + db * db);
        return length > MaxEyeWhiteShift ? (da * MaxEyeWhiteShift / length, db * MaxEyeWhiteShift / length) : (da, db);
    }

    /// <summary>
    /// Moves the colour of one eye (inside its outline only: spread over the lids, a shift towards a pinkish white made
    /// pink rims) by <paramref name="whole"/>, and its pixels darker than its median (the iris) by <paramref name="iris"/>
    /// as well. The work is done in a box around the eye, not over the whole face.
    /// </summary>
    private static void ShiftEye(Mat source, Point2f[] sourcePoints, int first, (double A, double B) whole, (double A, double B) iris, float eyeDistance)
    {
        var sigma = Math.Max(1.0, 0.02 * eyeDistance);
        var margin = (int)Math.Ceiling(3 * sigma + 0.04 * eyeDistance) + 2;
        var outline = Cv2.BoundingRect(FaceRegions.Polygon(sourcePoints, first, first + 6));
        var box = new Rect(outline.X - margin, outline.Y - margin, outline.Width + 2 * margin, outline.Height + 2 * margin)
            .Intersect(new Rect(0, 0, source.Width, source.Height));
        if (box.Width <= 0 || box.Height <= 0)
        {
            return;
        }

        var local = sourcePoints.Select(q => new Point2f(q.X - box.X, q.Y - box.Y)).ToArray();
        using var part = new Mat(source, box);
        using var weight = new Mat(box.Size, MatType.CV_32F, Scalar.All(0));
        FaceRegions.FillEye(weight, local, first, 0.02f, 1);
        Cv2.GaussianBlur(weight, weight, new Size(0, 0), sigma);
        using var shiftA = new Mat();
        using var shiftB = new Mat();
        Cv2.Multiply(weight, whole.A, shiftA);
        Cv2.Multiply(weight, whole.B, shiftB);
        if (iris != (0, 0) && EyePixels(part, local, first) is { } eye)
        {
            var median = eye.Select(v => (double)v.Item0).Order().ElementAt(eye.Count / 2);
            using var lightness = part.ExtractChannel(0);
            using var dark = new Mat();
            Cv2.Threshold(lightness, dark, median, 1, ThresholdTypes.BinaryInv);
            Cv2.GaussianBlur(dark, dark, new Size(0, 0), 1.0);
            Cv2.Multiply(dark, weight, dark);
            Cv2.ScaleAdd(dark, iris.A, shiftA, shiftA);
            Cv2.ScaleAdd(dark, iris.B, shiftB, shiftB);
        }

        using var zero = new Mat(box.Size, MatType.CV_32F, Scalar.All(0));
        using var shift = new Mat();
        Cv2.Merge([zero, shiftA, shiftB], shift);
        Cv2.Add(part, shift, part);
    }

    /// <summary>The mean a*, b* of the darker half of an eye's pixels (iris, pupil, lash line).</summary>
    private static (double A, double B) Iris(List<Vec3f> eye)
    {
        var darker = eye.OrderBy(v => v.Item0).Take(eye.Count / 2).ToList();
        return (darker.Average(v => v.Item1), darker.Average(v => v.Item2));
    }

    /// <summary>The Lab pixels inside one eye's outline; null when the eye shows fewer than 20.</summary>
    private static List<Vec3f>? EyePixels(Mat lab, Point2f[] p, int first)
    {
        var polygon = FaceRegions.Polygon(p, first, first + 6);
        var box = Cv2.BoundingRect(polygon).Intersect(new Rect(0, 0, lab.Width, lab.Height));
        if (box.Width * box.Height == 0)
        {
            return null;
        }

        using var inside = new Mat(box.Size, MatType.CV_8UC1, Scalar.All(0));
        Cv2.FillPoly(inside, [polygon.Select(q => new Point(q.X - box.X, q.Y - box.Y)).ToArray()], Scalar.All(255));
        using var pixels = new Mat(lab, box);
        inside.GetArray(out byte[] m);
        Vec3f[] values;
        using (var copy = pixels.Clone())
        {
            copy.GetArray(out values);
        }

        var eye = values.Where((_, i) => m[i] != 0).ToList();
        return eye.Count < 20 ? null : eye;
    }

    /// <summary>The mean a*, b* of the greyest of the lighter pixels inside one eye's outline; null when the eye shows too few pixels.</summary>
    private static (double A, double B)? EyeWhite(Mat lab, Point2f[] p, int first) => EyePixels(lab, p, first) is { } eye ? White(eye) : null;

    /// <summary>The mean a*, b* of the greyest of an eye's lighter pixels (<see cref="EyeWhiteShare"/> of the eye).</summary>
    private static (double A, double B) White(List<Vec3f> eye)
    {
        // The lighter half, then the greyer half of that: a flash's red pupil and a catchlight's glint are light too.
        var lighter = eye.OrderByDescending(v => v.Item0).Take(eye.Count / 2);
        var white = lighter.OrderBy(v => v.Item1 * v.Item1 + v.Item2 * v.Item2).Take(Math.Max(5, (int)(eye.Count * EyeWhiteShare))).ToList();
        return (white.Average(v => v.Item1), white.Average(v => v.Item2));
    }

    private static void BlurOutside(Mat source, Mat? sharp, double sigma)
    {
        if (sharp is null)
        {
            Cv2.GaussianBlur(source, source, new Size(0, 0), sigma);
            return;
        }

        // source = blurred + sharp * (source - blurred)
        using var blurred = new Mat();
        Cv2.GaussianBlur(source, blurred, new Size(0, 0), sigma);
        using var sharp3 = new Mat();
        Cv2.Merge([sharp, sharp, sharp], sharp3);
        Cv2.Subtract(source, blurred, source);
        Cv2.Multiply(source, sharp3, source);
        Cv2.Add(source, blurred, source);
    }

    private static Mat Noise(Size size, double spread, int seed)
    {
        var random = new Random(seed);
        var values = new float[size.Width * size.Height];
        var scale = (float)spread;
        for (var i = 0; i < values.Length; i += 2)
        {
            // Box-Muller, both of its values: grain for a large face is a million draws.
            var radius = scale * MathF.Sqrt(-2 * MathF.Log(1 - random.NextSingle()));
            var (sin, cos) = MathF.SinCos(2 * MathF.PI * random.NextSingle());
            values[i] = radius * cos;
            if (i + 1 < values.Length)
            {
                values[i + 1] = radius * sin;
            }
        }

        var noise = new Mat(size, MatType.CV_32F);
        noise.SetArray(values);
        return noise;
    }

    private static double LaplacianSpread(Mat lab, Mat skin)
    {
        using var light = lab.ExtractChannel(0);
        return Spread(light, skin);
    }

    private static double Spread(Mat light, Mat skin)
    {
        using var laplacian = new Mat();
        Cv2.Laplacian(light, laplacian, MatType.CV_32F);
        Cv2.MeanStdDev(laplacian, out _, out var std, skin);
        return std.Val0;
    }
}
