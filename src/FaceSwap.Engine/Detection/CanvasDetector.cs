using FaceSwap.Engine.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;
using OpenCvSharp.Dnn;

namespace FaceSwap.Engine.Detection;

/// <summary>A face a detector model reports, in canvas pixels: its box, score and five keypoints (empty if none).</summary>
public sealed record DetectionCandidate(Rect2f Box, float Score, Point2f[] Keypoints);

/// <summary>
/// Shared pre- and post-processing of scrfd_2.5g and yoloface_8n: the frame is only ever shrunk (aspect kept) to fit
/// the model's square input and copied to the top-left corner of a zero canvas, channels left in BGR order;
/// results are scaled back by original/resized and filtered with NMS. Each face keeps the detector's five keypoints as
/// its alignment points (where they lie in or near its box) and its box before clipping to the frame.
/// </summary>
public abstract class CanvasDetector(OnnxModel model, int size) : IFaceDetector
{
    /// <summary>Keep detections scoring at least this (FaceFusion's face_detector_score default).</summary>
    public float ScoreThreshold { get; init; } = 0.5f;

    /// <summary>NMS IoU threshold for one angle.</summary>
    public float NmsThreshold { get; init; } = 0.4f;

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>The model.</summary>
    protected OnnxModel Model => model;

    /// <summary>The square input side.</summary>
    protected int Size => size;

    /// <inheritdoc />
    public IReadOnlyList<DetectedFace> Detect(Mat bgr)
    {
        var scale = Math.Min(1.0, Math.Min((double)size / bgr.Width, (double)size / bgr.Height));
        var width = Math.Max(1, (int)Math.Round(bgr.Width * scale));
        var height = Math.Max(1, (int)Math.Round(bgr.Height * scale));
        using var canvas = new Mat(size, size, MatType.CV_8UC3, Scalar.All(0));
        using (var resized = new Mat())
        {
            Cv2.Resize(bgr, resized, new Size(width, height), 0, 0, InterpolationFlags.Area);
            using var corner = new Mat(canvas, new Rect(0, 0, width, height));
            resized.CopyTo(corner);
        }

        var tensor = new DenseTensor<float>([1, 3, size, size]);
        Pack(canvas, tensor.Buffer.Span);
        using var results = model.Session.Run([NamedOnnxValue.CreateFromTensor(model.InputNames[0]!, tensor)]);
        var outputs = results.Select(r => r.AsTensor<float>().ToArray()).ToArray();
        var candidates = Decode(outputs);
        var back = (float)(1 / scale);
        var boxes = candidates.Select(c => new Rect((int)(c.Box.X * back), (int)(c.Box.Y * back), (int)(c.Box.Width * back), (int)(c.Box.Height * back))).ToArray();
        CvDnn.NMSBoxes(boxes, candidates.Select(c => c.Score).ToArray(), ScoreThreshold, NmsThreshold, out var keep);
        return keep.Select(i => ToFrame(candidates[i], back, bgr.Width, bgr.Height))
            .Where(f => f.Box.Width > 1 && f.Box.Height > 1)
            .ToList();
    }

    private static DetectedFace ToFrame(DetectionCandidate candidate, float back, int width, int height)
    {
        var box = new Rect2f(candidate.Box.X * back, candidate.Box.Y * back, candidate.Box.Width * back, candidate.Box.Height * back);
        var clipped = Clip(box, width, height);
        var keypoints = candidate.Keypoints.Select(p => new Point2f(p.X * back, p.Y * back)).ToArray();
        return new DetectedFace(clipped, candidate.Score)
        {
            AlignmentPoints = Plausible(keypoints, box) ? keypoints : [],
            UnclippedBox = clipped == box ? null : box,
        };
    }

    /// <summary>Five keypoints inside the box grown by half its size on every side (a model without keypoints gives zeros).</summary>
    private static bool Plausible(Point2f[] keypoints, Rect2f box) =>
        keypoints.Length == 5 && keypoints.All(p =>
            p.X >= box.Left - box.Width / 2 && p.X <= box.Right + box.Width / 2 && p.Y >= box.Top - box.Height / 2 && p.Y <= box.Bottom + box.Height / 2);

    /// <summary>Packs the canvas into the model's input (BGR planar, model-specific scaling).</summary>
    protected abstract void Pack(Mat canvas, Span<float> destination);

    /// <summary>Candidate faces (boxes and keypoints in canvas pixels) scoring at least the threshold.</summary>
    public abstract List<DetectionCandidate> Decode(float[][] outputs);

    /// <summary>BGR planar packing: value = (p - mean) / scale, channels kept in B, G, R order.</summary>
    protected static void PackBgr(Mat bgr, Span<float> destination, float mean, float scale) =>
        Imaging.TensorPacking.Planar(bgr, destination, [mean, mean, mean], [scale, scale, scale], rgb: false);

    private static Rect2f Clip(Rect2f box, int width, int height)
    {
        var x1 = Math.Clamp(box.Left, 0, width);
        var y1 = Math.Clamp(box.Top, 0, height);
        var x2 = Math.Clamp(box.Right, 0, width);
        var y2 = Math.Clamp(box.Bottom, 0, height);
        return new Rect2f(x1, y1, x2 - x1, y2 - y1);
    }
}
