using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;
using OpenCvSharp.Dnn;

namespace FaceSwap.Engine.Detection;

/// <summary>
/// fr_detect: the whole image resized (not letterboxed) to 320x240, RGB, (p-127)/128. Outputs per prior:
/// scores (index 1 = face) and boxes already decoded as normalised corners of the whole image.
/// </summary>
public sealed class FaceDetector(OnnxModel model)
{
    /// <summary>The contract of fr_detect.onnx.</summary>
    public static readonly ModelContract Contract = new("fr_detect",
        [new TensorContract("input", [1, 3, InputHeight, InputWidth])],
        [new TensorContract("scores", [1, 4420, 2]), new TensorContract("boxes", [1, 4420, 4])]);

    private const int InputWidth = 320;
    private const int InputHeight = 240;

    /// <summary>Minimum face score kept.</summary>
    public float ScoreThreshold { get; init; } = 0.6f;

    /// <summary>IoU above which overlapping boxes are suppressed.</summary>
    public float NmsThreshold { get; init; } = 0.4f;

    /// <summary>Faces in a BGR image, highest score first.</summary>
    public IReadOnlyList<DetectedFace> Detect(Mat bgr)
    {
        using var resized = new Mat();
        var shrinking = bgr.Width > InputWidth || bgr.Height > InputHeight;
        Cv2.Resize(bgr, resized, new Size(InputWidth, InputHeight), interpolation: shrinking ? InterpolationFlags.Area : InterpolationFlags.Linear);

        var input = new float[3 * InputHeight * InputWidth];
        TensorPacking.BgrToRgbPlanar(resized, input, 127f, 128f);
        var outputs = model.Batcher.Run([input])[0];
        var scores = outputs["scores"];
        var boxes = outputs["boxes"];
        var priors = scores.Length / 2;

        var candidates = new List<Rect2d>();
        var candidateScores = new List<float>();
        for (var i = 0; i < priors; i++)
        {
            var score = scores[2 * i + 1];
            if (score < ScoreThreshold)
            {
                continue;
            }

            var x1 = Math.Clamp(boxes[4 * i + 0], 0f, 1f) * bgr.Width;
            var y1 = Math.Clamp(boxes[4 * i + 1], 0f, 1f) * bgr.Height;
            var x2 = Math.Clamp(boxes[4 * i + 2], 0f, 1f) * bgr.Width;
            var y2 = Math.Clamp(boxes[4 * i + 3], 0f, 1f) * bgr.Height;
            if (x2 - x1 < 2 || y2 - y1 < 2)
            {
                continue;
            }

            candidates.Add(new Rect2d(x1, y1, x2 - x1, y2 - y1));
            candidateScores.Add(score);
        }

        if (candidates.Count == 0)
        {
            return [];
        }

        CvDnn.NMSBoxes(candidates, candidateScores, ScoreThreshold, NmsThreshold, out int[] kept);
        return kept
            .Select(k => new DetectedFace(new Rect2f((float)candidates[k].X, (float)candidates[k].Y, (float)candidates[k].Width, (float)candidates[k].Height), candidateScores[k]))
            .OrderByDescending(f => f.Score)
            .ToList();
    }
}
