using FaceSwap.Engine.Imaging;
using OpenCvSharp;

namespace FaceSwap.Engine.Blending;

/// <summary>
/// One face's own skin colour, learnt from its cheeks, nose and forehead (robust median and spread in Lab): pixels far
/// from it are hair, a hand, glasses frames or background, and are kept out of the swap so occluders stay on top.
/// </summary>
public static class SkinModel
{
    /// <summary>Normalised distance (in spreads) under which a pixel counts as skin.</summary>
    public const float Threshold = 3f;

    // Smallest spreads (Lab units): a very even face must not make its own shadows and blush "not skin".
    private const float MinLightSpread = 10f;
    private const float MinChromaSpread = 3f;

    /// <summary>
    /// 255 where <paramref name="lab"/> (float Lab, L 0-100) looks like the skin sampled under <paramref name="sample"/>
    /// (8-bit mask), 0 elsewhere; speckles (pores, highlights) are closed. All 255 when the sample is too small to learn from.
    /// </summary>
    public static Mat Classify(Mat lab, Mat sample) => Classify(lab, Learn(lab, sample));

    /// <summary>As <see cref="Classify(Mat, Mat)"/>, with the skin already learnt (<see cref="Learn"/>).</summary>
    public static Mat Classify(Mat lab, (float[] Median, float[] Spread)? stats)
    {
        var skin = new Mat(lab.Size(), MatType.CV_8UC1, Scalar.All(255));
        if (stats is null)
        {
            return skin;
        }

        var (median, spread) = stats.Value;
        var channels = lab.Split();
        try
        {
            using var distance = new Mat(lab.Size(), MatType.CV_32F, Scalar.All(0));
            for (var c = 0; c < 3; c++)
            {
                // Light varies with shading more than colour does: its smallest spread is the larger.
                var scale = 1.0 / spread[c];
                using var z = new Mat();
                channels[c].ConvertTo(z, MatType.CV_32F, scale, -median[c] * scale);
                Cv2.Multiply(z, z, z);
                Cv2.Add(distance, z, distance);
            }

            using var far = new Mat();
            Cv2.Threshold(distance, far, Threshold * Threshold, 255, ThresholdTypes.BinaryInv);
            far.ConvertTo(skin, MatType.CV_8U);
        }
        finally
        {
            foreach (var c in channels)
            {
                c.Dispose();
            }
        }

        Cv2.MedianBlur(skin, skin, 5);
        return skin;
    }

    /// <summary>The skin's median Lab colour and robust spread per channel under <paramref name="sample"/>; null when too few pixels.</summary>
    public static (float[] Median, float[] Spread)? Learn(Mat lab, Mat sample)
    {
        using var continuous = lab.Clone();
        using var mask = sample.Clone();
        continuous.GetArray(out Vec3f[] pixels);
        mask.GetArray(out byte[] m);

        // Every third pixel is plenty for a median and a spread, and keeps this cheap on large faces.
        var picked = new List<int>(m.Length / 3 + 1);
        for (var i = 0; i < m.Length; i += 3)
        {
            if (m[i] != 0)
            {
                picked.Add(i);
            }
        }

        if (picked.Count < 30)
        {
            return null;
        }

        var median = new float[3];
        var spread = new float[3];
        var values = new float[picked.Count];
        for (var c = 0; c < 3; c++)
        {
            for (var k = 0; k < picked.Count; k++)
            {
                var p = pixels[picked[k]];
                values[k] = c == 0 ? p.Item0 : c == 1 ? p.Item1 : p.Item2;
            }

            median[c] = Quantile.KthSmallest(values, values.Length / 2);
            for (var k = 0; k < values.Length; k++)
            {
                values[k] = Math.Abs(values[k] - median[c]);
            }

            spread[c] = Math.Max(c == 0 ? MinLightSpread : MinChromaSpread, 1.4826f * Quantile.KthSmallest(values, values.Length / 2));
        }

        return (median, spread);
    }
}
