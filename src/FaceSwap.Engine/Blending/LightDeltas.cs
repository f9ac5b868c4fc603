using OpenCvSharp;

namespace FaceSwap.Engine.Blending;

/// <summary>
/// The low-frequency light of a target minus that of the warped source laid over it (float Lab), measured once per face
/// and shared by its renderings (<see cref="AppearanceMatch.TransferLight"/>): on the skin at
/// <see cref="AppearanceMatch.LightingScale"/>, and over the whole swapped region at each feature scale a rendering asks for.
/// </summary>
public sealed class LightDeltas(Mat source, Mat target, Mat weight, Mat features, float eyeDistance) : IDisposable
{
    private readonly Dictionary<float, Mat> byFeatureScale = [];
    private Mat? skin;

    /// <summary>The delta on skin: <paramref name="weight"/> (CV_32F 0-1) outside <paramref name="features"/> (CV_32F 0-1, soft).</summary>
    public Mat Skin => skin ??= SkinDelta();

    /// <summary>The delta over the whole swapped region at <paramref name="scale"/> eye distances.</summary>
    public Mat Features(float scale)
    {
        if (!byFeatureScale.TryGetValue(scale, out var delta))
        {
            delta = AppearanceMatch.LowFrequencyDelta(source, target, weight, scale * eyeDistance);
            byFeatureScale[scale] = delta;
        }

        return delta;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        skin?.Dispose();
        foreach (var delta in byFeatureScale.Values)
        {
            delta.Dispose();
        }
    }

    private Mat SkinDelta()
    {
        using var skinWeight = new Mat();
        Cv2.Subtract(Scalar.All(1), features, skinWeight);
        Cv2.Multiply(skinWeight, weight, skinWeight);
        return AppearanceMatch.LowFrequencyDelta(source, target, skinWeight, AppearanceMatch.LightingScale * eyeDistance);
    }
}
