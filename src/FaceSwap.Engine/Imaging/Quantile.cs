using OpenCvSharp;

namespace FaceSwap.Engine.Imaging;

/// <summary>Order statistics of pixel values without sorting them.</summary>
internal static class Quantile
{
    /// <summary>The <paramref name="q"/> quantile (0-1) of a single-channel float image under an 8-bit mask; 0 when the mask is empty.</summary>
    public static float Of(Mat values, Mat mask, double q)
    {
        float[] v;
        byte[] m;
        using (var continuous = values.Clone())
        using (var inside = mask.Clone())
        {
            continuous.GetArray(out v);
            inside.GetArray(out m);
        }

        var picked = new List<float>(m.Length / 2);
        for (var i = 0; i < m.Length; i++)
        {
            if (m[i] != 0)
            {
                picked.Add(v[i]);
            }
        }

        return picked.Count == 0 ? 0 : KthSmallest([.. picked], (int)(q * (picked.Count - 1)));
    }

    /// <summary>
    /// The value that would sit at <paramref name="k"/> if <paramref name="values"/> were sorted (Hoare's selection:
    /// linear on average, where sorting a large face's samples six times was a sixth of the swap's time); reorders them.
    /// </summary>
    public static float KthSmallest(float[] values, int k)
    {
        int low = 0, high = values.Length - 1;
        while (low < high)
        {
            var pivot = MedianOfThree(values[low], values[low + (high - low) / 2], values[high]);
            int i = low, j = high;
            while (i <= j)
            {
                while (values[i] < pivot)
                {
                    i++;
                }

                while (values[j] > pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }

            if (k <= j)
            {
                high = j;
            }
            else if (k >= i)
            {
                low = i;
            }
            else
            {
                return values[k];
            }
        }

        return values[k];
    }

    private static float MedianOfThree(float a, float b, float c) => Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));
}
