using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Models;
using OpenCvSharp;

namespace FaceSwap.Engine.Landmarks;

/// <summary>
/// fr_landmark: 68 points from a 64x64 grey crop. The crop is the detection box made square (side = box height),
/// centred, clipped to the image, corners truncated to integers; pixels /256; outputs are (x, y) pairs in crop units.
/// The model was trained on upright faces: a head tilted by more than <see cref="UprightRoll"/> is located again on the
/// same square turned upright by the tilt the first points show, and those points turned back.
/// </summary>
public sealed class FaceLandmarker(OnnxModel model) : IFaceLandmarker
{
    /// <summary>The contract of fr_landmark.onnx.</summary>
    public static readonly ModelContract Contract = new("fr_landmark",
        [new TensorContract("input", [1, 1, CropSize, CropSize])],
        [new TensorContract("output", [1, 136])]);

    private const int CropSize = 64;

    /// <summary>
    /// Tilt (radians, about 10 degrees) above which a face is located again upright: on tilted heads the points
    /// collapse (demo photo 4's left face, tilted 24 degrees: eye outlines a third of the eyes, the mouth on half the lips).
    /// </summary>
    private const float UprightRoll = 0.17f;

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
        var attempts = new Attempt?[faces.Count];
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
            attempts[f] = new Attempt(input, (x, y) => new Point2f(x * crop.Width + crop.X, y * crop.Height + crop.Y));
        }

        var outputs = model.Batcher.Run(inputs);
        var located = new DetectedFace[faces.Count];
        var next = 0;
        for (var f = 0; f < faces.Count; f++)
        {
            if (attempts[f] is not { } attempt)
            {
                located[f] = faces[f];
                continue;
            }

            attempt.Output = outputs[next++]["output"];
            located[f] = faces[f] with { Landmarks = attempt.Points() };
        }

        return Upright(bgr, located, attempts);
    }

    /// <summary>
    /// The tilted faces among <paramref name="located"/> located again on their square turned upright (twice: points on
    /// a tilted head lean towards upright, so the first tilt they show falls short), keeping whichever points, upright
    /// or not, agree best with the points found on the mirror image of their crop (the model has no confidence output;
    /// where it is lost, its two answers differ).
    /// </summary>
    private DetectedFace[] Upright(Mat bgr, DetectedFace[] located, Attempt?[] first)
    {
        var tilted = Enumerable.Range(0, located.Length)
            .Where(f => first[f] is not null && Math.Abs(HeadPose.Of(located[f].Landmarks).Roll) >= UprightRoll).ToList();
        if (tilted.Count == 0)
        {
            return located;
        }

        var turned = tilted.Select(f => Turned(bgr, located[f], located[f].Landmarks)).ToList();
        Run([.. turned, .. tilted.Select(f => first[f]!.Mirror())]);
        var turnedAgain = tilted.Select((f, i) => Turned(bgr, located[f], turned[i].Points())).ToList();
        Run([.. turnedAgain, .. turnedAgain.Select(a => a.Mirror())]);
        for (var i = 0; i < tilted.Count; i++)
        {
            var f = tilted[i];
            if (turnedAgain[i].Disagreement() < first[f]!.Disagreement())
            {
                located[f] = located[f] with { Landmarks = turnedAgain[i].Points() };
            }
        }

        return located;
    }

    private void Run(IReadOnlyList<Attempt> attempts)
    {
        var outputs = model.Batcher.Run(attempts.Select(a => a.Input).ToList());
        for (var i = 0; i < attempts.Count; i++)
        {
            attempts[i].Output = outputs[i]["output"];
        }
    }

    /// <summary>The face's square (centre and side of the first crop, before clipping) turned upright by the tilt of <paramref name="points"/>.</summary>
    private static Attempt Turned(Mat bgr, DetectedFace face, Point2f[] points)
    {
        var roll = HeadPose.Of(points).Roll;
        var side = face.Box.Height;
        var centre = new Point2f(face.Box.X + face.Box.Width / 2, face.Box.Y + face.Box.Height / 2);
        using var toCrop = Cv2.GetRotationMatrix2D(centre, roll * 180 / Math.PI, CropSize / side);
        toCrop.Set(0, 2, toCrop.At<double>(0, 2) + CropSize / 2.0 - centre.X);
        toCrop.Set(1, 2, toCrop.At<double>(1, 2) + CropSize / 2.0 - centre.Y);
        var (grey, offset) = Grey(bgr, centre, side);
        using var greyPixels = grey;
        using var shifted = Shifted(toCrop, offset);
        using var upright = new Mat();
        Cv2.WarpAffine(grey, upright, shifted, new Size(CropSize, CropSize), InterpolationFlags.Area, BorderTypes.Replicate);
        var input = new float[CropSize * CropSize];
        TensorPacking.GreyPlanar(upright, input, 256f);
        using var back = new Mat();
        Cv2.InvertAffineTransform(toCrop, back);
        back.GetArray(out double[] m);
        return new Attempt(input, (x, y) => new Point2f(
            (float)(m[0] * x * CropSize + m[1] * y * CropSize + m[2]),
            (float)(m[3] * x * CropSize + m[4] * y * CropSize + m[5])));
    }

    /// <summary>Grey pixels of the square of <paramref name="side"/> around <paramref name="centre"/>, turned any way, and where they start.</summary>
    private static (Mat Image, Point Offset) Grey(Mat bgr, Point2f centre, float side)
    {
        var reach = (int)Math.Ceiling(side * 0.75) + 2;
        var area = new Rect((int)centre.X - reach, (int)centre.Y - reach, 2 * reach, 2 * reach).Intersect(new Rect(0, 0, bgr.Width, bgr.Height));
        using var roi = new Mat(bgr, area);
        var grey = new Mat();
        Cv2.CvtColor(roi, grey, ColorConversionCodes.BGR2GRAY);
        return (grey, area.Location);
    }

    /// <summary>An image-to-crop transform for pixels that start at <paramref name="offset"/> of the image.</summary>
    private static Mat Shifted(Mat toCrop, Point offset)
    {
        var shifted = toCrop.Clone();
        shifted.Set(0, 2, toCrop.At<double>(0, 2) + toCrop.At<double>(0, 0) * offset.X + toCrop.At<double>(0, 1) * offset.Y);
        shifted.Set(1, 2, toCrop.At<double>(1, 2) + toCrop.At<double>(1, 0) * offset.X + toCrop.At<double>(1, 1) * offset.Y);
        return shifted;
    }

    /// <summary>One crop given to the model: its input, where its points lie in the image, and (once run) its output.</summary>
    private sealed class Attempt(float[] input, Func<float, float, Point2f> toImage)
    {
        /// <summary>Which point each point of the mirror image is (the left eye's outer corner is the right eye's, ...).</summary>
        private static readonly int[] MirrorOf = BuildMirror();

        public float[] Input { get; } = input;

        public float[]? Output { get; set; }

        /// <summary>The same crop flipped left to right, once made by <see cref="Mirror"/>.</summary>
        public Attempt? Mirrored { get; private set; }

        public Point2f[] Points() => Enumerable.Range(0, 68).Select(i => toImage(Output![2 * i], Output[2 * i + 1])).ToArray();

        public Attempt Mirror()
        {
            var flipped = new float[Input.Length];
            for (var y = 0; y < CropSize; y++)
            {
                for (var x = 0; x < CropSize; x++)
                {
                    flipped[y * CropSize + x] = Input[y * CropSize + CropSize - 1 - x];
                }
            }

            return Mirrored = new Attempt(flipped, toImage);
        }

        /// <summary>Mean distance (crop units) between the inner points and those found on the mirror image, flipped back.</summary>
        public float Disagreement()
        {
            var mirrored = Mirrored!.Output!;
            var sum = 0f;
            for (var i = 17; i < 68; i++)
            {
                var j = MirrorOf[i];
                sum += MathF.Sqrt(MathF.Pow(Output![2 * i] - (1 - mirrored[2 * j]), 2) + MathF.Pow(Output[2 * i + 1] - mirrored[2 * j + 1], 2));
            }

            return sum / 51;
        }

        private static int[] BuildMirror()
        {
            var map = Enumerable.Range(0, 68).ToArray();
            void Pair(int a, int b) => (map[a], map[b]) = (b, a);
            for (var i = 0; i < 8; i++)
            {
                Pair(i, 16 - i);
            }

            for (var i = 0; i < 5; i++)
            {
                Pair(17 + i, 26 - i);
            }

            Pair(31, 35);
            Pair(32, 34);
            (int, int)[] eyes = [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)];
            (int, int)[] mouth = [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58), (60, 64), (61, 63), (65, 67)];
            foreach (var (a, b) in eyes.Concat(mouth))
            {
                Pair(a, b);
            }

            return map;
        }
    }
}
