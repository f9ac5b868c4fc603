using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace FaceSwap.Engine.Landmarks;

/// <summary>
/// 2dfan4: the box scaled so its longer side is 195 px and centred in a 256x256 crop, BGR /255; output 0 holds 68
/// points on the 64x64 heatmap grid (x 4 for crop pixels, then the inverse transform), output 1 the heatmaps. The
/// score is the mean of the per-point heatmap maxima remapped from [0, 0.9] to [0, 1]; points are used above 0.5.
/// The box is the detector's own, not clipped to the frame, and a face whose detector keypoints show it turned past 45
/// degrees in the image plane is rotated upright in the crop (FaceFusion's face angle, 0/90/180/270). A confident
/// result also gives the face's alignment points (FaceFusion's '5/68'). (FaceFusion's CLAHE on very dark crops is not
/// done.)
/// </summary>
public sealed class Fan68Landmarker(OnnxModel model) : IFaceLandmarker
{
    private const int Size = 256;

    /// <summary>Points are used only when the score exceeds this.</summary>
    public float MinScore { get; init; } = 0.5f;

    /// <inheritdoc />
    public string Name => PublicModels.Fan68;

    /// <summary>
    /// Runs the model on a box, the crop turned by <paramref name="angle"/> degrees (counter-clockwise, about its centre):
    /// 68 points in frame coordinates and the confidence score (0 to 1).
    /// </summary>
    public (Point2f[] Points, float Score) Run(Mat bgr, Rect2f box, int angle = 0)
    {
        var scale = 195.0 / Math.Max(box.Width, box.Height);
        var tx = (Size - (box.Left + box.Right) * scale) / 2;
        var ty = (Size - (box.Top + box.Bottom) * scale) / 2;

        // The box crop, then the rotation about the crop's centre (cv2.getRotationMatrix2D), as one affine.
        var radians = angle * Math.PI / 180;
        var (c, s, centre) = (Math.Round(Math.Cos(radians), 12), Math.Round(Math.Sin(radians), 12), Size / 2.0);
        var (rx, ry) = ((1 - c) * centre - s * centre, s * centre + (1 - c) * centre);
        using var affine = new Mat(2, 3, MatType.CV_64FC1);
        affine.Set(0, 0, c * scale);
        affine.Set(0, 1, s * scale);
        affine.Set(0, 2, c * tx + s * ty + rx);
        affine.Set(1, 0, -s * scale);
        affine.Set(1, 1, c * scale);
        affine.Set(1, 2, -s * tx + c * ty + ry);
        using var inverse = new Mat();
        Cv2.InvertAffineTransform(affine, inverse);
        using var crop = new Mat();
        Cv2.WarpAffine(bgr, crop, affine, new Size(Size, Size), InterpolationFlags.Linear, BorderTypes.Constant, Scalar.All(0));

        var tensor = new DenseTensor<float>([1, 3, Size, Size]);
        PackBgr(crop, tensor.Buffer.Span);
        using var results = model.Session.Run([NamedOnnxValue.CreateFromTensor(model.InputNames[0]!, tensor)]);
        var points = results[0].AsTensor<float>().ToArray();
        var heatmaps = results[1].AsTensor<float>().ToArray();

        var landmarks = new Point2f[68];
        for (var i = 0; i < 68; i++)
        {
            var x = points[3 * i] * Size / 64.0;
            var y = points[3 * i + 1] * Size / 64.0;
            landmarks[i] = new Point2f(
                (float)(inverse.At<double>(0, 0) * x + inverse.At<double>(0, 1) * y + inverse.At<double>(0, 2)),
                (float)(inverse.At<double>(1, 0) * x + inverse.At<double>(1, 1) * y + inverse.At<double>(1, 2)));
        }

        var plane = heatmaps.Length / 68;
        var maxima = Enumerable.Range(0, 68).Select(i => heatmaps.AsSpan(i * plane, plane).ToArray().Max()).Average();
        var score = Math.Clamp(maxima / 0.9f, 0f, 1f);
        return (landmarks, score);
    }

    /// <inheritdoc />
    public DetectedFace Locate(Mat bgr, DetectedFace face)
    {
        var (points, score) = Run(bgr, face.UnclippedBox ?? face.Box, FaceAlignment.FaceAngle(face.AlignmentPoints));
        return score > MinScore
            ? face with { Landmarks = points, AlignmentPoints = FaceGeometry.FivePoints(points) }
            : face with { Landmarks = [] };
    }

    /// <inheritdoc />
    public IReadOnlyList<DetectedFace> LocateAll(Mat bgr, IReadOnlyList<DetectedFace> faces) => [.. faces.Select(f => Locate(bgr, f))];

    private static unsafe void PackBgr(Mat bgr, Span<float> destination)
    {
        var plane = Size * Size;
        var step = (long)bgr.Step();
        var basePtr = (byte*)bgr.Data;
        for (var y = 0; y < Size; y++)
        {
            var row = basePtr + y * step;
            for (var x = 0; x < Size; x++)
            {
                var o = y * Size + x;
                destination[o] = row[3 * x] / 255f;
                destination[plane + o] = row[3 * x + 1] / 255f;
                destination[2 * plane + o] = row[3 * x + 2] / 255f;
            }
        }
    }
}
