using OpenCvSharp;

namespace FaceSwap.Engine.Blending;

/// <summary>
/// Gaussian blur inside a mask only (normalised convolution): pixels outside the mask do not bleed in, so the
/// low-frequency colour of a face is not pulled towards its hair or background.
/// </summary>
public static class MaskedBlur
{
    /// <summary>Blurs wider than this many pixels run on a smaller copy (the result is smooth at that scale anyway).</summary>
    private const double FullResolutionSigma = 4;

    /// <summary>
    /// Blurs <paramref name="image"/> (float, any channel count) with weights <paramref name="weight"/> (CV_32F, 0-1,
    /// one channel). Where no weight is near, the result holds whatever the few weighted pixels give (callers only use
    /// it inside the mask).
    /// </summary>
    public static Mat Apply(Mat image, Mat weight, double sigma) => ApplyAll([image], weight, sigma)[0];

    /// <summary>
    /// <see cref="Apply"/> for several images of one size and channel count under the same weights: the weights are
    /// blurred once.
    /// </summary>
    public static Mat[] ApplyAll(IReadOnlyList<Mat> images, Mat weight, double sigma)
    {
        var channels = images[0].Channels();
        var size = images[0].Size();

        // A wide Gaussian costs its width per pixel: shrink so the blur is a few pixels wide, then grow back.
        var factor = sigma > FullResolutionSigma ? Math.Floor(sigma / (FullResolutionSigma / 2)) : 1;
        var small = factor > 1 ? new Size(Math.Max(1, (int)Math.Round(size.Width / factor)), Math.Max(1, (int)Math.Round(size.Height / factor))) : size;
        var smallSigma = sigma * small.Width / size.Width;
        using var denominator = Blur(weight, small, smallSigma);
        Cv2.Max(denominator, 1e-4, denominator);
        using var weights = channels == 1 ? weight.Clone() : Merge(weight, channels);
        using var denominators = channels == 1 ? denominator.Clone() : Merge(denominator, channels);
        var results = new Mat[images.Count];
        for (var i = 0; i < images.Count; i++)
        {
            using var weighted = new Mat();
            Cv2.Multiply(images[i], weights, weighted);
            using var numerator = Blur(weighted, small, smallSigma);
            using var ratio = new Mat();
            Cv2.Divide(numerator, denominators, ratio);
            results[i] = new Mat();
            if (factor > 1)
            {
                Cv2.Resize(ratio, results[i], size, 0, 0, InterpolationFlags.Linear);
            }
            else
            {
                ratio.CopyTo(results[i]);
            }
        }

        return results;
    }

    private static Mat Blur(Mat source, Size size, double sigma)
    {
        var blurred = new Mat();
        if (size != source.Size())
        {
            using var shrunk = new Mat();
            Cv2.Resize(source, shrunk, size, 0, 0, InterpolationFlags.Area);
            Cv2.GaussianBlur(shrunk, blurred, new Size(0, 0), sigma);
        }
        else
        {
            Cv2.GaussianBlur(source, blurred, new Size(0, 0), sigma);
        }

        return blurred;
    }

    private static Mat Merge(Mat weight, int channels)
    {
        var merged = new Mat();
        Cv2.Merge(Enumerable.Repeat(weight, channels).ToArray(), merged);
        return merged;
    }
}
