using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Recognition;
using OpenCvSharp;

namespace FaceSwap.Engine.Quality;

/// <summary>Measures swapped faces afresh on the written output, with the embedded detector, landmarker and embedder.</summary>
internal sealed class SwapVerifier(FaceDetector detector, FaceLandmarker landmarker, FaceEmbedder embedder)
{
    /// <summary>
    /// Similarity to the source and the realism figures (against <paramref name="original"/>, the frame before the
    /// swap), measured on the encoded output with fresh detection and landmarks; a face that is not found again (null)
    /// counts as a failed swap. Each face is looked for in a window around where it was, so small faces in large photos
    /// are seen at a useful scale. Where the swapper already detected the face afresh on its rendering (the region as it
    /// is written, lossy round trip included, put back into the frame) in that same window, that box is used
    /// (<paramref name="foundOnRendering"/>, frame coordinates; null: look on the output): the detector run again over
    /// the same pixels took a fifth of the engine's work per face and found the same face (IoU 0.95-0.997 on the demo
    /// photos). Landmarks, embedding and figures are always measured on the written output.
    /// </summary>
    public (float? Similarity, RealismFigures? Realism)[] Measure(byte[] output, Mat original, IReadOnlyList<DetectedFace> swapped,
        IReadOnlyList<DetectedFace?> foundOnRendering, float[] identity, StageTimer timings)
    {
        using var scope = timings.Time("verify");
        using var written = ImageCodec.Decode(output, long.MaxValue);
        var matches = swapped.Select((face, i) => foundOnRendering[i] ?? detector.DetectAgain(written, face.Box)).ToList();
        var located = landmarker.LocateAll(written, matches.OfType<DetectedFace>().ToList());
        var usable = located.Where(f => f.Landmarks.Length == 68).ToList();
        var embeddings = embedder.EmbedAll(written, usable.Select(f => f.Landmarks).ToList());
        var result = new (float?, RealismFigures?)[swapped.Count];
        int next = 0, nextUsable = 0;
        for (var i = 0; i < swapped.Count; i++)
        {
            if (matches[i] is null)
            {
                continue;
            }

            var face = located[next++];
            if (face.Landmarks.Length == 68)
            {
                result[i] = (FaceEmbedder.Similarity(identity, embeddings[nextUsable++]), RealismMeter.Measure(original, written, face.Landmarks));
            }
        }

        return result;
    }
}
