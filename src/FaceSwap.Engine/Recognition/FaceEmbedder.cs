using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace FaceSwap.Engine.Recognition;

/// <summary>
/// fr_feature: a 512-d identity embedding of a 112x112 crop aligned by a 5-point least-squares similarity to the
/// usual ArcFace template, RGB, (p-127)/128. Embeddings are L2-normalised so similarity is a plain dot product.
/// </summary>
public sealed class FaceEmbedder(OnnxModel model)
{
    /// <summary>The contract of fr_feature.onnx.</summary>
    public static readonly ModelContract Contract = new("fr_feature",
        [new TensorContract("input", [1, 3, CropSize, CropSize])],
        [new TensorContract("output", [1, 512])]);

    private const int CropSize = 112;

    /// <summary>The 112x112 five-point template (arcface_112_v2).</summary>
    private static readonly Point2f[] Template =
    [
        new(38.2946f, 51.6963f), new(73.5318f, 51.5014f), new(56.0252f, 71.7366f), new(41.5493f, 92.3655f), new(70.7299f, 92.2041f),
    ];

    /// <summary>The L2-normalised embedding of a face given its 68 landmarks.</summary>
    public float[] Embed(Mat bgr, Point2f[] landmarks)
    {
        using var aligned = Align(bgr, landmarks);
        var tensor = new DenseTensor<float>([1, 3, CropSize, CropSize]);
        TensorPacking.BgrToRgbPlanar(aligned, tensor.Buffer.Span, 127f, 128f);

        using var results = model.Session.Run([NamedOnnxValue.CreateFromTensor("input", tensor)]);
        var embedding = results[0].AsTensor<float>().ToArray();
        var norm = MathF.Sqrt(embedding.Sum(v => v * v));
        for (var i = 0; i < embedding.Length; i++)
        {
            embedding[i] /= Math.Max(norm, 1e-6f);
        }

        return embedding;
    }

    /// <summary>Cosine similarity of two normalised embeddings.</summary>
    public static float Similarity(float[] a, float[] b)
    {
        var dot = 0f;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
        }

        return dot;
    }

    private static Mat Align(Mat bgr, Point2f[] landmarks)
    {
        using var from = InputArray.Create(FaceGeometry.FivePoints(landmarks));
        using var to = InputArray.Create(Template);
        using var matrix = Cv2.EstimateAffinePartial2D(from, to, null, RobustEstimationAlgorithms.RANSAC, ransacReprojThreshold: 100)
            ?? throw new FaceSwapException(FaceSwapErrorKind.ModelError, "could not align face for embedding");
        var aligned = new Mat();
        Cv2.WarpAffine(bgr, aligned, matrix, new Size(CropSize, CropSize), InterpolationFlags.Linear, BorderTypes.Replicate);
        return aligned;
    }
}
