using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Models;
using OpenCvSharp;
using OpenCvSharp.Dnn;

namespace FaceSwap.Engine.Detection;

/// <summary>
/// fr_detect: the whole image resized (not letterboxed) to 320x240, RGB, (p-127)/128. Outputs per prior:
/// scores (index 1 = face) and boxes already decoded as normalised corners of the whole image.
/// </summary>
public sealed class FaceDetector(OnnxModel model) : IFaceDetector
{
    /// <summary>The contract of fr_detect.onnx.</summary>
    public static readonly ModelContract Contract = new("fr_detect",
        [new TensorContract("input", [1, 3, InputHeight, InputWidth])],
        [new TensorContract("scores", [1, 4420, 2]), new TensorContract("boxes", [1, 4420, 4])]);

    private const int InputWidth = 320;
    private const int InputHeight = 240;

    /// <inheritdoc />
    public string Name => PublicModels.DefaultDetector;

    /// <summary>Minimum face score kept.</summary>
    public float ScoreThreshold { get; init; } = 0.6f;

    /// <summary>IoU above which overlapping boxes are suppressed.</summary>
    public float NmsThreshold { get; init; } = 0.4f;

    /// <summary>
    /// Side of the square-ish tiles (at 4:3) of the second pass over large images: each tile is seen at 320x240, so a
    /// face of 50 px in the photo is about 17 px to the model, where the whole-image pass of a 4K photo sees 4 px.
    /// </summary>
    public const int TileWidth = 960;

    /// <summary>Tiles overlap by this much, so every face up to this size lies whole in some tile.</summary>
    public const int TileOverlap = 240;

    /// <summary>
    /// Faces in a BGR image, highest score first. Images wider or taller than two tiles (larger than 1920x1440) are
    /// also searched tile by tile (all tiles in one batched call) and the passes merged, so small faces in large photos
    /// are found once each.
    /// </summary>
    public IReadOnlyList<DetectedFace> Detect(Mat bgr)
    {
        var tileHeight = TileWidth * InputHeight / InputWidth;
        var windows = new List<Rect> { new(0, 0, bgr.Width, bgr.Height) };
        if (bgr.Width > 2 * TileWidth || bgr.Height > 2 * tileHeight)
        {
            foreach (var y in Steps(bgr.Height, tileHeight))
            {
                foreach (var x in Steps(bgr.Width, TileWidth))
                {
                    windows.Add(new Rect(x, y, Math.Min(TileWidth, bgr.Width - x), Math.Min(tileHeight, bgr.Height - y)));
                }
            }
        }

        return Detect(bgr, windows);
    }

    /// <summary>
    /// Faces in a window around <paramref name="box"/> (three times its size, at 4:3), seen at the detector's own
    /// scale: how the engine finds a face again on its output, whatever the size of the photo.
    /// </summary>
    public IReadOnlyList<DetectedFace> DetectAround(Mat bgr, Rect2f box)
    {
        var window = WindowAround(box, bgr.Size());
        return window.Width < 8 || window.Height < 8 ? [] : Detect(bgr, [window]);
    }

    /// <summary>
    /// The face found again around <paramref name="box"/> (<see cref="DetectAround"/>): the one overlapping it most, by more
    /// than 0.3 IoU, or null.
    /// </summary>
    public DetectedFace? DetectAgain(Mat bgr, Rect2f box) => DetectAround(bgr, box)
        .Select(f => (Face: f, IoU: DetectedFace.IoU(f.Box, box)))
        .Where(x => x.IoU > 0.3f)
        .OrderByDescending(x => x.IoU)
        .Select(x => x.Face)
        .FirstOrDefault();

    /// <summary>The window <see cref="DetectAround"/> searches for <paramref name="box"/> in an image of <paramref name="size"/>.</summary>
    public static Rect WindowAround(Rect2f box, Size size)
    {
        var width = Math.Max(3 * box.Width, 3 * box.Height * InputWidth / InputHeight);
        var height = width * InputHeight / InputWidth;
        var cx = box.X + box.Width / 2;
        var cy = box.Y + box.Height / 2;
        return new Rect((int)(cx - width / 2), (int)(cy - height / 2), (int)width, (int)height).Intersect(new Rect(0, 0, size.Width, size.Height));
    }

    private List<DetectedFace> Detect(Mat bgr, IReadOnlyList<Rect> windows)
    {
        var inputs = new List<float[]>(windows.Count);
        foreach (var window in windows)
        {
            using var view = new Mat(bgr, window);
            using var resized = new Mat();
            var shrinking = window.Width > InputWidth || window.Height > InputHeight;
            Cv2.Resize(view, resized, new Size(InputWidth, InputHeight), interpolation: shrinking ? InterpolationFlags.Area : InterpolationFlags.Linear);
            var input = new float[3 * InputHeight * InputWidth];
            TensorPacking.BgrToRgbPlanar(resized, input, 127f, 128f);
            inputs.Add(input);
        }

        var results = model.Batcher.Run(inputs);
        var whole = Suppress([results[0]], [windows[0]], bgr.Width, bgr.Height, tiles: false);
        if (windows.Count == 1)
        {
            return whole;
        }

        // The whole-image pass boxes faces the way the landmarker expects; tiles only add the faces it missed.
        var merged = whole.ToList();
        foreach (var face in Suppress(results.Skip(1).ToList(), windows.Skip(1).ToList(), bgr.Width, bgr.Height, tiles: true))
        {
            if (!merged.Any(m => Containment(m.Box, face.Box) > 0.3f))
            {
                merged.Add(face);
            }
        }

        return merged.OrderByDescending(f => f.Score).ToList();
    }

    private List<DetectedFace> Suppress(IReadOnlyList<IReadOnlyDictionary<string, float[]>> results, IReadOnlyList<Rect> windows, int width, int height, bool tiles)
    {
        var candidates = new List<Rect2d>();
        var candidateScores = new List<float>();
        for (var w = 0; w < windows.Count; w++)
        {
            Collect(results[w]["scores"], results[w]["boxes"], windows[w], width, height, tiles, candidates, candidateScores);
        }

        if (candidates.Count == 0)
        {
            return [];
        }

        CvDnn.NMSBoxes(candidates, candidateScores, ScoreThreshold, NmsThreshold, out int[] kept);
        var faces = kept
            .Select(k => new DetectedFace(new Rect2f((float)candidates[k].X, (float)candidates[k].Y, (float)candidates[k].Width, (float)candidates[k].Height), candidateScores[k]))
            .OrderByDescending(f => f.Score)
            .ToList();

        // Neighbouring tiles can box the same face differently (a tight box inside a loose one): keep one.
        var distinct = new List<DetectedFace>(faces.Count);
        foreach (var face in faces)
        {
            if (!distinct.Any(m => Containment(m.Box, face.Box) > 0.6f))
            {
                distinct.Add(face);
            }
        }

        return distinct;
    }

    /// <summary>
    /// A window's faces in image coordinates. A tile's faces that touch one of its inner edges (not an edge of the
    /// image) are cut by the tile and dropped: the overlapping neighbour sees them whole.
    /// </summary>
    private void Collect(float[] scores, float[] boxes, Rect window, int imageWidth, int imageHeight, bool isTile, List<Rect2d> candidates, List<float> candidateScores)
    {
        var priors = scores.Length / 2;
        var edge = Math.Max(2, window.Width / 160);
        for (var i = 0; i < priors; i++)
        {
            var score = scores[2 * i + 1];
            if (score < ScoreThreshold)
            {
                continue;
            }

            var x1 = window.X + Math.Clamp(boxes[4 * i + 0], 0f, 1f) * window.Width;
            var y1 = window.Y + Math.Clamp(boxes[4 * i + 1], 0f, 1f) * window.Height;
            var x2 = window.X + Math.Clamp(boxes[4 * i + 2], 0f, 1f) * window.Width;
            var y2 = window.Y + Math.Clamp(boxes[4 * i + 3], 0f, 1f) * window.Height;
            if (x2 - x1 < 2 || y2 - y1 < 2)
            {
                continue;
            }

            if (isTile && ((x1 <= window.X + edge && window.X > 0) || (y1 <= window.Y + edge && window.Y > 0)
                || (x2 >= window.Right - edge && window.Right < imageWidth) || (y2 >= window.Bottom - edge && window.Bottom < imageHeight)))
            {
                continue;
            }

            candidates.Add(new Rect2d(x1, y1, x2 - x1, y2 - y1));
            candidateScores.Add(score);
        }
    }

    /// <summary>Tile origins along one side: tiles of <paramref name="tile"/> overlapping by at least <see cref="TileOverlap"/>.</summary>
    private static IEnumerable<int> Steps(int length, int tile)
    {
        if (length <= tile)
        {
            yield return 0;
            yield break;
        }

        var count = (int)Math.Ceiling((double)(length - TileOverlap) / (tile - TileOverlap));
        var stride = (double)(length - tile) / (count - 1);
        for (var i = 0; i < count; i++)
        {
            yield return (int)Math.Round(i * stride);
        }
    }

    /// <summary>Intersection over the smaller box's area.</summary>
    private static float Containment(Rect2f a, Rect2f b)
    {
        var w = Math.Max(0, Math.Min(a.Right, b.Right) - Math.Max(a.Left, b.Left));
        var h = Math.Max(0, Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Top, b.Top));
        var smaller = Math.Min(a.Width * a.Height, b.Width * b.Height);
        return smaller <= 0 ? 0 : w * h / smaller;
    }
}
