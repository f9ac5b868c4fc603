using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Swapping;

namespace FaceSwap.Engine.Pipeline;

/// <summary>Which target faces a request selects, and which of them the chosen source cannot reach.</summary>
internal static class TargetFaceSelection
{
    /// <summary>Which faces (largest first) a request selects, and why the others are not.</summary>
    internal static (bool Selected, string? Reason, float? Distance)[] Select(IReadOnlyList<DetectedFace> faces, IReadOnlyList<float[]> embeddings, SwapRequest request)
    {
        if (request.Faces == FaceSelection.Reference && request.References.Count == 0)
        {
            throw new ArgumentException("reference face selection needs at least one reference face", nameof(request));
        }

        var result = new (bool, string?, float?)[faces.Count];
        var largestTaken = false;
        for (var i = 0; i < faces.Count; i++)
        {
            float? distance = request.Faces == FaceSelection.Reference ? request.References.Min(r => FaceEngine.Distance(r, embeddings[i])) : null;
            if (Math.Min(faces[i].Box.Width, faces[i].Box.Height) < request.MinFace)
            {
                result[i] = (false, SkipReasons.TooSmall, distance is { } d ? MathF.Round(d, 4) : null);
            }
            else if (request.Faces == FaceSelection.Largest && largestTaken)
            {
                result[i] = (false, SkipReasons.NotLargest, distance);
            }
            else if (request.Faces == FaceSelection.Reference && distance > request.ReferenceDistance)
            {
                result[i] = (false, SkipReasons.NotReference, MathF.Round(distance.Value, 4));
            }
            else
            {
                result[i] = (true, null, distance is { } d ? MathF.Round(d, 4) : null);
                largestTaken = true;
            }
        }

        return result;
    }

    /// <summary>
    /// Why the source cannot be put into a face, or null when it can: the face is turned too far from the source's pose
    /// (the source has nothing to show for the side it turns away), or the source would have to be enlarged more than
    /// <see cref="FaceReport.MaxSourceScale"/> times (a soft, ghostly face).
    /// </summary>
    internal static string? OutOfReach(DetectedFace face, SourceFace source)
    {
        if (Math.Abs(FaceGeometry.Yaw(face.Landmarks) - FaceGeometry.Yaw(source.Landmarks)) > FaceEngine.MaxPoseGap)
        {
            return SkipReasons.PoseOutOfReach;
        }

        return SourceScale(face, source) > FaceReport.MaxSourceScale ? SkipReasons.SourceTooSmall : null;
    }

    /// <summary>How much the source face is enlarged to fit a face: the ratio of their eye distances.</summary>
    internal static float SourceScale(DetectedFace face, SourceFace source) =>
        MathF.Round(FaceGeometry.EyeDistance(face.Landmarks) / Math.Max(1f, FaceGeometry.EyeDistance(source.Landmarks)), 2);
}
