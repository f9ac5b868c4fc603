using OpenCvSharp;

namespace FaceSwap.Engine.Blending;

/// <summary>
/// Gaussian blur inside a mask only (normalised convolution): pixels outside the mask do not bleed in, so the
/// low-frequency colour of a face is not pulled towards its hair or background.
/// </summary>
public static class MaskedBlur
{
    /// <summary>
    /// Blurs <paramref name="image"/> (float, any channel count) with weights <paramref name="weight"/> (CV_32F, 0-1,
    /// one channel). Where no weight is near, the result holds whatever the few weighted pixels give (callers only use
    /// it inside the mask).
    /// </summary>
    public static Mat Apply(Mat image, Mat weight, double sigma)
    {
        var channels = image.Channels();
        using var weights = channels == 1 ? weight.Clone() : Merge(weight, channels);
        using var weighted = new Mat();
        Cv2.Multiply(image, weights, weighted);
        var blurred = new Mat();
        Cv2.GaussianBlur(weighted, blurred, new Size(0, 0), sigma);
        using var norm = new Mat();
        Cv2.GaussianBlur(weights, norm, new Size(0, 0), sigma);
        Cv2.Max(norm, 1e-4, norm);
        Cv2.Divide(blurred, norm, blurred);
        return blurred;
    }

    private static Mat Merge(Mat weight, int channels)
    {
        var merged = new Mat();
        Cv2.Merge(Enumerable.Repeat(weight, channels).ToArray(), merged);
        return merged;
    }
}
