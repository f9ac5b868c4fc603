using FaceSwap.Engine.Models;
using OpenCvSharp;

namespace FaceSwap.Engine.Detection;

/// <summary>
/// scrfd_2.5g at 640: input (p - 127.5) / 128; outputs [0..2] scores, [3..5] box distances, [6..8] keypoint distances
/// for strides 8, 16, 32, distances multiplied by the stride; 2 anchors per cell at (col, row) x stride, no +0.5
/// offset; box = (ax - l, ay - t, ax + r, ay + b); keypoint k = anchor + distance k x stride.
/// </summary>
public sealed class ScrfdDetector(OnnxModel model, int size = 640) : CanvasDetector(model, size)
{
    private static readonly int[] Strides = [8, 16, 32];

    /// <inheritdoc />
    public override string Name => PublicModels.Scrfd;

    /// <inheritdoc />
    protected override void Pack(Mat canvas, Span<float> destination) => PackBgr(canvas, destination, 127.5f, 128f);

    /// <inheritdoc />
    public override List<DetectionCandidate> Decode(float[][] outputs)
    {
        var found = new List<DetectionCandidate>();
        for (var s = 0; s < Strides.Length; s++)
        {
            var stride = Strides[s];
            var cols = Size / stride;
            var scores = outputs[s];
            var distances = outputs[s + 3];
            var keypoints = outputs[s + 6];
            for (var i = 0; i < scores.Length; i++)
            {
                if (scores[i] < ScoreThreshold)
                {
                    continue;
                }

                var cell = i / 2;
                var ax = cell % cols * stride;
                var ay = cell / cols * stride;
                var x1 = ax - distances[4 * i] * stride;
                var y1 = ay - distances[4 * i + 1] * stride;
                var x2 = ax + distances[4 * i + 2] * stride;
                var y2 = ay + distances[4 * i + 3] * stride;
                var points = Enumerable.Range(0, 5)
                    .Select(k => new Point2f(ax + keypoints[10 * i + 2 * k] * stride, ay + keypoints[10 * i + 2 * k + 1] * stride))
                    .ToArray();
                found.Add(new DetectionCandidate(new Rect2f(x1, y1, x2 - x1, y2 - y1), scores[i], points));
            }
        }

        return found;
    }
}
