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

    /// <summary>BGR crop around the face.</summary>
    public Mat Crop { get; }

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
