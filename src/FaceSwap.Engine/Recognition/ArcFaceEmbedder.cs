using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace FaceSwap.Engine.Recognition;

/// <summary>
/// arcface_w600k_r50: the raw (not normalised) 512-d identity embedding of a face aligned to arcface_112_v2 at 112,
/// RGB, p/127.5 - 1.
/// </summary>
public sealed class ArcFaceEmbedder(OnnxModel model)
{
    private const int Size = 112;

    /// <summary>The raw embedding of a face given its five alignment points (or its 68 landmarks) in <paramref name="bgr"/>.</summary>
    public float[] Embed(Mat bgr, Point2f[] points)
    {
        using var affine = FaceAlignment.Estimate(points, WarpTemplates.Arcface112V2, Size);
        using var crop = FaceAlignment.Crop(bgr, affine, Size);
        var tensor = new DenseTensor<float>([1, 3, Size, Size]);
        TensorPacking.PackRgb(crop, tensor.Buffer.Span, [127.5f, 127.5f, 127.5f], [127.5f, 127.5f, 127.5f]);
        using var results = model.Session.Run([NamedOnnxValue.CreateFromTensor(model.InputNames[0]!, tensor)]);
        return results[0].AsTensor<float>().ToArray();
    }
}
