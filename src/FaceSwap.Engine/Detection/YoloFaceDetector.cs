using FaceSwap.Engine.Models;
using OpenCvSharp;

namespace FaceSwap.Engine.Detection;

/// <summary>yoloface_8n at 640: input p / 255; output [1,20,N] read as N rows of cx, cy, w, h, score, 5 x (x, y, conf).</summary>
public sealed class YoloFaceDetector(OnnxModel model) : CanvasDetector(model, 640)
{
    /// <inheritdoc />
    public override string Name => PublicModels.YoloFace;

    /// <inheritdoc />
    protected override void Pack(Mat canvas, Span<float> destination) => PackBgr(canvas, destination, 0f, 255f);

    /// <inheritdoc />
    public override List<DetectionCandidate> Decode(float[][] outputs)
    {
        var values = outputs[0];
        var n = values.Length / 20;
        var found = new List<DetectionCandidate>();
        for (var i = 0; i < n; i++)
        {
            var score = values[4 * n + i];
            if (score <= ScoreThreshold)
            {
                continue;
            }

            var (cx, cy, w, h) = (values[i], values[n + i], values[2 * n + i], values[3 * n + i]);
            var points = Enumerable.Range(0, 5).Select(k => new Point2f(values[(5 + 3 * k) * n + i], values[(6 + 3 * k) * n + i])).ToArray();
            found.Add(new DetectionCandidate(new Rect2f(cx - w / 2, cy - h / 2, w, h), score, points));
        }

        return found;
    }
}
