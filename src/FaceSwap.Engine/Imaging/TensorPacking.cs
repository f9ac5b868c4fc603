using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace FaceSwap.Engine.Imaging;

/// <summary>Copies 8-bit image pixels into planar (NCHW) float tensors with a per-model normalisation, and model outputs back to images.</summary>
public static class TensorPacking
{
    /// <summary>BGR pixels to an RGB planar tensor: value = (p - mean) / scale.</summary>
    public static void BgrToRgbPlanar(Mat bgr, Span<float> destination, float mean, float scale) =>
        Planar(bgr, destination, [mean, mean, mean], [scale, scale, scale], rgb: true);

    /// <summary>
    /// BGR pixels to a planar tensor, in RGB plane order (<paramref name="rgb"/>) or kept in BGR order: value =
    /// (p - mean[plane]) / scale[plane].
    /// </summary>
    public static unsafe void Planar(Mat bgr, Span<float> destination, ReadOnlySpan<float> mean, ReadOnlySpan<float> scale, bool rgb)
    {
        var width = bgr.Width;
        var height = bgr.Height;
        var plane = width * height;
        if (destination.Length < 3 * plane || bgr.Type() != MatType.CV_8UC3)
        {
            throw new ArgumentException("tensor and image sizes differ", nameof(destination));
        }

        // Source channel (0 = B, 1 = G, 2 = R) of each plane.
        var (c0, c2) = rgb ? (2, 0) : (0, 2);
        var step = (long)bgr.Step();
        var basePtr = (byte*)bgr.Data;
        for (var y = 0; y < height; y++)
        {
            var row = basePtr + y * step;
            var o = y * width;
            for (var x = 0; x < width; x++)
            {
                destination[o + x] = (row[3 * x + c0] - mean[0]) / scale[0];
                destination[plane + o + x] = (row[3 * x + 1] - mean[1]) / scale[1];
                destination[2 * plane + o + x] = (row[3 * x + c2] - mean[2]) / scale[2];
            }
        }
    }

    /// <summary>Grey pixels to a one-channel tensor: value = p / scale.</summary>
    public static unsafe void GreyPlanar(Mat grey, Span<float> destination, float scale)
    {
        var width = grey.Width;
        var height = grey.Height;
        if (destination.Length < width * height || grey.Type() != MatType.CV_8UC1)
        {
            throw new ArgumentException("tensor and image sizes differ", nameof(destination));
        }

        var step = (long)grey.Step();
        var basePtr = (byte*)grey.Data;
        for (var y = 0; y < height; y++)
        {
            var row = basePtr + y * step;
            for (var x = 0; x < width; x++)
            {
                destination[y * width + x] = row[x] / scale;
            }
        }
    }

    /// <summary>BGR pixels to an RGB planar tensor: value = (p - mean[c]) / scale[c], c in R, G, B order, p in 0..255.</summary>
    public static void PackRgb(Mat bgr, Span<float> destination, float[] mean, float[] scale) =>
        Planar(bgr, destination, mean, scale, rgb: true);

    /// <summary>An RGB planar [1,3,size,size] output to a BGR image: clipped to [low, high], mapped to 0..255.</summary>
    public static unsafe Mat UnpackRgb(Tensor<float> tensor, int size, float low, float high)
    {
        var values = tensor.ToArray();
        if (values.Length < 3 * size * size)
        {
            throw new FaceSwapException(FaceSwapErrorKind.ModelError, $"the model returned {values.Length} values, expected 3x{size}x{size}");
        }

        var image = new Mat(size, size, MatType.CV_8UC3);
        var plane = size * size;
        var step = (long)image.Step();
        var basePtr = (byte*)image.Data;
        var range = high - low;
        for (var y = 0; y < size; y++)
        {
            var row = basePtr + y * step;
            for (var x = 0; x < size; x++)
            {
                var i = y * size + x;
                row[3 * x + 2] = ToByte(values[i], low, range);
                row[3 * x + 1] = ToByte(values[plane + i], low, range);
                row[3 * x] = ToByte(values[2 * plane + i], low, range);
            }
        }

        return image;
    }

    private static byte ToByte(float v, float low, float range)
    {
        var unit = float.IsNaN(v) ? 0f : Math.Clamp((v - low) / range, 0f, 1f);
        return (byte)MathF.Round(unit * 255f);
    }
}
