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

    /// <summary>The L2-normalised identity embedding of the face with these 68 landmarks.</summary>
    public float[] Embed(Mat bgr, Point2f[] landmarks) => EmbedAll(bgr, [landmarks])[0];

    /// <summary>
    /// The L2-normalised identity embeddings of several faces of one image, in one model call (with other threads'
    /// faces when they coincide).
    /// </summary>
    public IReadOnlyList<float[]> EmbedAll(Mat bgr, IReadOnlyList<Point2f[]> faces)
    {
        var inputs = new List<float[]>(faces.Count);
        foreach (var landmarks in faces)
        {
            using var aligned = Align(bgr, landmarks);
            var input = new float[3 * CropSize * CropSize];
            TensorPacking.BgrToRgbPlanar(aligned, input, 127f, 128f);
            inputs.Add(input);
        }

        return model.Batcher.Run(inputs).Select(o => Normalise(o["output"])).ToList();
    }

    private static float[] Normalise(float[] embedding)
    {
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
