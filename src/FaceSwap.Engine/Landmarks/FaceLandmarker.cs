using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace FaceSwap.Engine.Landmarks;

/// <summary>
/// fr_landmark: 68 points from a 64x64 grey crop. The crop is the detection box made square (side = box height),
/// centred, clipped to the image, corners truncated to integers; pixels /256; outputs are (x, y) pairs in crop units.
/// </summary>
public sealed class FaceLandmarker(OnnxModel model)
{
    /// <summary>The contract of fr_landmark.onnx.</summary>
    public static readonly ModelContract Contract = new("fr_landmark",
        [new TensorContract("input", [1, 1, CropSize, CropSize])],
        [new TensorContract("output", [1, 136])]);

    private const int CropSize = 64;

    /// <summary>The face with its 68 landmarks in image coordinates.</summary>
    public DetectedFace Locate(Mat bgr, DetectedFace face)
    {
        var side = face.Box.Height;
        var cx = face.Box.X + face.Box.Width / 2;
        var cy = face.Box.Y + face.Box.Height / 2;
        var x1 = (int)Math.Max(0, cx - side / 2);
        var y1 = (int)Math.Max(0, cy - side / 2);
        var x2 = (int)Math.Min(bgr.Width, cx + side / 2);
        var y2 = (int)Math.Min(bgr.Height, cy + side / 2);
        if (x2 - x1 < 4 || y2 - y1 < 4)
        {
            return face;
        }

        var crop = new Rect(x1, y1, x2 - x1, y2 - y1);
        using var roi = new Mat(bgr, crop);
        using var grey = new Mat();
        using var small = new Mat();
        Cv2.CvtColor(roi, grey, ColorConversionCodes.BGR2GRAY);
        Cv2.Resize(grey, small, new Size(CropSize, CropSize), interpolation: InterpolationFlags.Area);

        var tensor = new DenseTensor<float>([1, 1, CropSize, CropSize]);
        TensorPacking.GreyPlanar(small, tensor.Buffer.Span, 256f);

        using var results = model.Session.Run([NamedOnnxValue.CreateFromTensor("input", tensor)]);
        var output = results[0].AsTensor<float>();
        var points = new Point2f[68];
        for (var i = 0; i < 68; i++)
        {
            points[i] = new Point2f(output[0, 2 * i] * crop.Width + crop.X, output[0, 2 * i + 1] * crop.Height + crop.Y);
        }

        return face with { Landmarks = points };
    }
}
