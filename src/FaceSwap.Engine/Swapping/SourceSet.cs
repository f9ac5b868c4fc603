using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Recognition;
using OpenCvSharp;

namespace FaceSwap.Engine.Swapping;

/// <summary>
/// Photos of one person, each prepared once (see <see cref="FaceEngine.PrepareSource"/>), with their mirror images:
/// per target face the candidate whose head pose is closest is used, so a profile target gets a profile source and a
/// target looking the other way gets the mirrored source. Similarities are measured against <see cref="Identity"/>,
/// the mean embedding of the photos.
/// </summary>
public sealed class SourceSet : IDisposable
{
    /// <summary>
    /// Added to a mirrored candidate's pose distance: a mirror image loses the face's asymmetries (a parting, a mole),
    /// so it is used only when the target clearly looks the other way, not for a near-frontal target.
    /// </summary>
    public const float MirrorPenalty = 0.15f;

    /// <summary>The most photos one set may have.</summary>
    public const int MaxImages = 32;

    private readonly bool owns;

    /// <summary>A set of prepared candidates; <paramref name="identity"/> defaults to the mean embedding of those not mirrored.</summary>
    public SourceSet(IReadOnlyList<SourceCandidate> candidates, float[]? identity = null, bool owns = true)
    {
        if (candidates.Count == 0)
        {
            throw new ArgumentException("a source set needs at least one face", nameof(candidates));
        }

        Candidates = candidates;
        Identity = identity ?? MeanEmbedding(candidates.Where(c => !c.Mirrored).Select(c => c.Face.Embedding).ToList());
        this.owns = owns;
    }

    /// <summary>Every candidate: each photo, then (in a prepared set) the mirror image of each.</summary>
    public IReadOnlyList<SourceCandidate> Candidates { get; }

    /// <summary>L2-normalised identity of the person: what similarities before and after are measured against.</summary>
    public float[] Identity { get; }

    /// <summary>Whether the set has a choice to make (more than one candidate).</summary>
    public bool IsSet => Candidates.Count > 1;

    /// <summary>Whether the user gave several photos (a single photo with its mirror image is one).</summary>
    public bool HasSeveralPhotos => Candidates.Count(c => !c.Mirrored) > 1;

    /// <summary>One prepared source face as a set of one (not owned: disposing the set leaves it alone).</summary>
    public static SourceSet Of(SourceFace face, string name = "source") =>
        new([new SourceCandidate(name, face, HeadPose.Of(face.Face.Landmarks), Mirrored: false)], face.Embedding, owns: false);

    /// <summary>
    /// One prepared source face and its mirror image, as a set that owns neither: a target looking the other way than
    /// the source gets the mirror, as in a prepared set. The mirror is made once from the source's crop and kept with
    /// the source (disposed with it); where the flipped crop has no usable face the set is the source alone.
    /// </summary>
    public static SourceSet WithMirror(FaceEngine engine, SourceFace face, string name = "source")
    {
        var mirror = ((MirrorImage)face.SwapperCache.GetOrAdd(MirrorKey, _ => MirrorImage.Of(engine, face))).Face;
        var original = new SourceCandidate(name, face, HeadPose.Of(face.Face.Landmarks), Mirrored: false);
        return mirror is null
            ? new SourceSet([original], face.Embedding, owns: false)
            : new SourceSet([original, new SourceCandidate(name + " (mirrored)", mirror, HeadPose.Of(mirror.Face.Landmarks), Mirrored: true)], face.Embedding, owns: false);
    }

    private const string MirrorKey = "source:mirror";

    /// <summary>A source's mirror image, kept in its cache (null where the flipped crop gave no usable face).</summary>
    private sealed record MirrorImage(SourceFace? Face) : IDisposable
    {
        public static MirrorImage Of(FaceEngine engine, SourceFace face)
        {
            using var flipped = new Mat();
            Cv2.Flip(face.Crop, flipped, FlipMode.Y);
            try
            {
                return new MirrorImage(engine.PrepareSource(ImageCodec.Encode(flipped, ImageFormat.Png)));
            }
            catch (FaceSwapException)
            {
                return new MirrorImage((SourceFace?)null);
            }
        }

        public void Dispose() => Face?.Dispose();
    }

    /// <summary>
    /// Prepares every photo once, and its mirror image. A photo without a usable face fails the whole set with the
    /// photo's name in the message: a set is one person, and a silently dropped photo would hide a mistake.
    /// </summary>
    public static SourceSet Prepare(FaceEngine engine, IReadOnlyList<(string Name, byte[] Bytes)> images)
    {
        if (images.Count is 0 or > MaxImages)
        {
            throw new ArgumentException($"a source set needs 1 to {MaxImages} images", nameof(images));
        }

        var candidates = new List<SourceCandidate>();
        try
        {
            foreach (var (name, bytes) in images)
            {
                SourceFace face;
                try
                {
                    face = engine.PrepareSource(bytes);
                }
                catch (FaceSwapException e)
                {
                    throw new FaceSwapException(e.Kind, $"{name}: {e.Message}", e);
                }

                candidates.Add(new SourceCandidate(name, face, HeadPose.Of(face.Face.Landmarks), Mirrored: false));
            }

            foreach (var (name, bytes) in images)
            {
                using var image = ImageCodec.Decode(bytes, engine.Options.MaxPixels);
                using var flipped = new Mat();
                Cv2.Flip(image, flipped, FlipMode.Y);
                var face = engine.PrepareSource(ImageCodec.Encode(flipped, ImageFormat.Png));
                candidates.Add(new SourceCandidate(name + " (mirrored)", face, HeadPose.Of(face.Face.Landmarks), Mirrored: true));
            }

            return new SourceSet(candidates);
        }
        catch
        {
            candidates.ForEach(c => c.Face.Dispose());
            throw;
        }
    }

    /// <summary>The candidate whose pose is closest to a target face's (68 landmarks).</summary>
    public SourceCandidate For(Point2f[] targetLandmarks)
    {
        if (!IsSet)
        {
            return Candidates[0];
        }

        // Photos that would have to be enlarged too much for this face give a soft result: the others go first.
        var eye = FaceGeometry.EyeDistance(targetLandmarks);
        var sharp = Candidates.Where(c => eye / Math.Max(1f, FaceGeometry.EyeDistance(c.Face.Landmarks)) <= FaceReport.MaxSourceScale).ToList();
        var pose = HeadPose.Of(targetLandmarks);
        return (sharp.Count > 0 ? sharp : Candidates).MinBy(c => Distance(c.Pose, pose) + (c.Mirrored ? MirrorPenalty : 0))!;
    }

    /// <summary>
    /// How far a photo's pose is from a face's: yaw most, pitch half as much (<see cref="HeadPose.DistanceTo"/>), and the
    /// photo's own tilt, not the difference of tilts. The warp turns a tilted photo upright onto any face, but a tilted
    /// photo's landmarks are the less sure and it is resampled once more: on the demo targets a photo turned 12 degrees
    /// kept less identity than the same photo upright (0.557-0.571 against 0.607).
    /// </summary>
    private static float Distance(HeadPose photo, HeadPose face) =>
        MathF.Abs(photo.Yaw - face.Yaw) + 0.5f * MathF.Abs(photo.Pitch - face.Pitch) + 0.25f * MathF.Abs(photo.Roll);

    /// <summary>The normalised mean of embeddings.</summary>
    public static float[] MeanEmbedding(IReadOnlyList<float[]> embeddings)
    {
        var mean = new float[embeddings[0].Length];
        foreach (var e in embeddings)
        {
            for (var i = 0; i < mean.Length; i++)
            {
                mean[i] += e[i];
            }
        }

        var norm = MathF.Sqrt(mean.Sum(v => v * v));
        return mean.Select(v => v / Math.Max(1e-6f, norm)).ToArray();
    }

    /// <summary>Similarity of a face's embedding to the set's identity.</summary>
    public float Similarity(float[] embedding) => FaceEmbedder.Similarity(Identity, embedding);

    /// <inheritdoc />
    public void Dispose()
    {
        if (owns)
        {
            foreach (var candidate in Candidates)
            {
                candidate.Face.Dispose();
            }
        }
    }
}

/// <summary>One photo of a source set (or its mirror image), prepared, with its head pose.</summary>
public sealed record SourceCandidate(string Name, SourceFace Face, HeadPose Pose, bool Mirrored);
