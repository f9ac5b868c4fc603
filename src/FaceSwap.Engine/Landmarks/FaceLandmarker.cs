using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Models;
using OpenCvSharp;

namespace FaceSwap.Engine.Landmarks;

/// <summary>
/// fr_landmark: 68 points from a 64x64 grey crop. The crop is the detection box made square (side = box height),
/// centred, clipped to the image, corners truncated to integers; pixels /256; outputs are (x, y) pairs in crop units.
/// </summary>
public sealed class FaceLandmarker(OnnxModel model) : IFaceLandmarker
{
    /// <summary>The contract of fr_landmark.onnx.</summary>
    public static readonly ModelContract Contract = new("fr_landmark",
        [new TensorContract("input", [1, 1, CropSize, CropSize])],
        [new TensorContract("output", [1, 136])]);

    private const int CropSize = 64;

    /// <inheritdoc />
    public string Name => PublicModels.DefaultLandmarker;

    /// <summary>Adds 68 landmarks to a detected face (the face unchanged when its crop is too small).</summary>
    public DetectedFace Locate(Mat bgr, DetectedFace face) => LocateAll(bgr, [face])[0];

    /// <summary>
    /// Adds 68 landmarks to each detected face, all faces in one model call (with those of other threads' images when
    /// they coincide); a face whose crop is too small comes back unchanged.
    /// </summary>
    public IReadOnlyList<DetectedFace> LocateAll(Mat bgr, IReadOnlyList<DetectedFace> faces)
    {
        var crops = new Rect?[faces.Count];
        var inputs = new List<float[]>(faces.Count);
        for (var f = 0; f < faces.Count; f++)
        {
            var face = faces[f];
            var side = face.Box.Height;
            var cx = face.Box.X + face.Box.Width / 2;
            var cy = face.Box.Y + face.Box.Height / 2;
            var x1 = (int)Math.Max(0, cx - side / 2);
            var y1 = (int)Math.Max(0, cy - side / 2);
            var x2 = (int)Math.Min(bgr.Width, cx + side / 2);
            var y2 = (int)Math.Min(bgr.Height, cy + side / 2);
            if (x2 - x1 < 4 || y2 - y1 < 4)
            {
                continue;
            }

            var crop = new Rect(x1, y1, x2 - x1, y2 - y1);
            using var roi = new Mat(bgr, crop);
            using var grey = new Mat();
            using var small = new Mat();
            Cv2.CvtColor(roi, grey, ColorConversionCodes.BGR2GRAY);
            Cv2.Resize(grey, small, new Size(CropSize, CropSize), interpolation: InterpolationFlags.Area);
            var input = new float[CropSize * CropSize];
            TensorPacking.GreyPlanar(small, input, 256f);
            inputs.Add(input);
            crops[f] = crop;
        }

        var outputs = model.Batcher.Run(inputs);
        var located = new DetectedFace[faces.Count];
        var next = 0;
        for (var f = 0; f < faces.Count; f++)
        {
            if (crops[f] is not { } crop)
            {
                located[f] = faces[f];
                continue;
            }

            var output = outputs[next++]["output"];
            var points = new Point2f[68];
            for (var i = 0; i < 68; i++)
            {
                points[i] = new Point2f(output[2 * i] * crop.Width + crop.X, output[2 * i + 1] * crop.Height + crop.Y);
            }

            located[f] = faces[f] with { Landmarks = points };
        }

        return located;
    }
}
