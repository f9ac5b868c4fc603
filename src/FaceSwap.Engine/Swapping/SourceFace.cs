using FaceSwap.Engine.Detection;
using OpenCvSharp;

namespace FaceSwap.Engine.Swapping;

/// <summary>
/// Everything that depends only on the source face, computed once and shared by every swap of a job:
/// a crop of the face with margin, its landmarks in crop coordinates, and its identity embedding.
/// </summary>
public sealed class SourceFace : IDisposable
{
    /// <summary>Creates a prepared source.</summary>
    public SourceFace(Mat crop, Point2f[] landmarks, DetectedFace face, float[] embedding, SourceQuality quality)
    {
        Crop = crop;
        Landmarks = landmarks;
        Face = face;
        Embedding = embedding;
        Quality = quality;
    }

    /// <summary>
    /// Margin around the face (its landmarks extended to the forehead) on every side of <see cref="Crop"/>, as a share of
    /// the face's larger side. Generous so that the neural path's ArcFace crop (which reaches well past the face) is cut
    /// from real pixels rather than copied edge pixels: measured with the embedded embedder on the demo faces, a 15 %
    /// margin gave a crop embedding as low as 0.91 similar to the full photo's, 40 % gives at least 0.99 (docs/models.md).
    /// </summary>
    public const float CropPadding = 0.4f;

    /// <summary>BGR crop around the face.</summary>
    public Mat Crop { get; }

    /// <summary>Where <see cref="Crop"/>'s top-left corner lies in the source image.</summary>
    public Point Origin { get; init; }

    /// <summary>68 landmarks relative to <see cref="Crop"/>.</summary>
    public Point2f[] Landmarks { get; }

    /// <summary>The face as detected in the source image (image coordinates).</summary>
    public DetectedFace Face { get; }

    /// <summary>L2-normalised identity embedding.</summary>
    public float[] Embedding { get; }

    /// <summary>How suitable the face is as a source.</summary>
    public SourceQuality Quality { get; }

    /// <summary>Cached per-swapper data (triangulations, neural latents, a cleaned crop), keyed by swapper name; disposed with the source.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, object> SwapperCache { get; } = new();

    /// <summary>The region of a source image that <see cref="Crop"/> covers for a face with these 68 landmarks.</summary>
    public static Rect CropRegion(Point2f[] landmarks, Size image, float padding = CropPadding)
    {
        var extended = MorphSwapper.Extend(landmarks);
        var box = Cv2.BoundingRect(extended.Select(p => new Point((int)p.X, (int)p.Y)));
        var pad = (int)(Math.Max(box.Width, box.Height) * padding) + 4;
        return new Rect(box.X - pad, box.Y - pad, box.Width + 2 * pad, box.Height + 2 * pad).Intersect(new Rect(0, 0, image.Width, image.Height));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var cached in SwapperCache.Values.OfType<IDisposable>().Where(value => !ReferenceEquals(value, Crop)))
        {
            cached.Dispose();
        }

        Crop.Dispose();
    }
}

/// <summary>Measures of a source face: frontal, open eyes and a closed mouth score best.</summary>
public sealed record SourceQuality(float Yaw, float MouthOpen, float EyeOpen, float Size, float Consistency, float Score);
