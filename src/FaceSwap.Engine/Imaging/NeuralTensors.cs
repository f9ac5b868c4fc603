using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace FaceSwap.Engine.Imaging;

/// <summary>Packing of BGR crops into the public models' RGB planar tensors and back.</summary>
public static class NeuralTensors
{
    /// <summary>BGR pixels to an RGB planar tensor: value = (p - mean[c]) / scale[c], c in R, G, B order, p in 0..255.</summary>
    public static void PackRgb(Mat bgr, Span<float> destination, float[] mean, float[] scale) =>
        Imaging.TensorPacking.Planar(bgr, destination, mean, scale, rgb: true);

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
