using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Enhancement;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Quality;
using FaceSwap.Engine.Recognition;
using FaceSwap.Engine.Safety;
using FaceSwap.Engine.Swapping;
using OpenCvSharp;

namespace FaceSwap.Engine.Pipeline;

/// <summary>
/// The face pipeline: decode, detect, landmarks, swap, blend, encode, then measure the result on the encoded
/// output. Models are loaded once; every method is safe to call from many threads at once.
/// </summary>
public sealed class FaceEngine : IDisposable
{
    /// <summary>Sources turned further than this (see <see cref="FaceGeometry.Yaw"/>) are refused.</summary>
    public const float MaxSourceYaw = 0.6f;

    /// <summary>
    /// A face whose yaw (see <see cref="FaceGeometry.Yaw"/>) differs from the source's (or its mirror image's, for a
    /// face looking the other way) by more than this is left untouched (<see cref="SkipReasons.PoseOutOfReach"/>): a
    /// source turned 0.5 less than a face in profile already puts an eye on the silhouette (seen at 100 % on the demo
    /// photos: docs/quality.md).
    /// </summary>
    public const float MaxPoseGap = 0.5f;

    /// <summary>Sources whose mirror consistency is below this are refused as occluded or unclear.</summary>
    public const float MinSourceConsistency = 0.6f;

    /// <summary>
    /// A source whose mouth is open wider than this while its eyes are narrower than <see cref="MinLaughingEyes"/> is
    /// laughing: a geometric swap squeezes its narrowed eyes and teeth into every target (measured on the demo faces:
    /// docs/quality.md), so it is refused. Sample1's middle face (eyes 0.15) reads its mouth 0.150 open since tilted heads
    /// are located upright, at the edge of the 0.15 this was; the narrowed-eyed smiles below 0.12 (sample4's third
    /// face, 0.09) swap well.
    /// </summary>
    public const float MaxLaughingMouth = 0.12f;

    /// <summary>
    /// See <see cref="MaxLaughingMouth"/>. Sample4's right face, laughing with its eyes narrowed, reads 0.21 since tilted
    /// heads are located upright (0.27 before, with its mouth points off its lips); swapped, it streaked every target.
    /// </summary>
    public const float MinLaughingEyes = 0.22f;

    private readonly OnnxModel detectorModel;
    private readonly OnnxModel landmarkModel;
    private readonly OnnxModel embedderModel;
    private readonly SwapVerifier verifier;

    private FaceEngine(OnnxModel detector, OnnxModel landmarks, OnnxModel embedder, IFaceSwapper swapper, EngineOptions options)
    {
        detectorModel = detector;
        landmarkModel = landmarks;
        embedderModel = embedder;
        Detector = new FaceDetector(detector);
        Landmarker = new FaceLandmarker(landmarks);
        Embedder = new FaceEmbedder(embedder);
        verifier = new SwapVerifier(Detector, Landmarker, Embedder);
        Swapper = swapper;
        Options = options;
    }

    /// <summary>The detector (the embedded one; it also finds faces again in written outputs).</summary>
    public FaceDetector Detector { get; }

    /// <summary>The 68-point landmarker (the embedded one; it also backs a selected landmarker that is not confident).</summary>
    public FaceLandmarker Landmarker { get; }

    /// <summary>The identity embedder (the embedded one: selection, source quality and the measured similarity).</summary>
    public FaceEmbedder Embedder { get; }

    /// <summary>The swapper in use.</summary>
    public IFaceSwapper Swapper { get; }

    /// <summary>The enhancer in use (none).</summary>
    public IFaceEnhancer Enhancer { get; } = NoEnhancer.Instance;

    /// <summary>The settings.</summary>
    public EngineOptions Options { get; }

    /// <summary>Loads and checks the embedded default models.</summary>
    public static FaceEngine Load(ModelDirectory models, EngineOptions? options = null)
    {
        options ??= new EngineOptions();
        var loaded = new List<OnnxModel>();
        try
        {
            loaded.Add(OnnxModel.Load(models, FaceDetector.Contract, options.Onnx));
            loaded.Add(OnnxModel.Load(models, FaceLandmarker.Contract, options.Onnx));
            loaded.Add(OnnxModel.Load(models, FaceEmbedder.Contract, options.Onnx));
        }
        catch
        {
            loaded.ForEach(m => m.Dispose());
            throw;
        }

        return new FaceEngine(loaded[0], loaded[1], loaded[2], new MorphSwapper(), options);
    }

    /// <summary>
    /// The stages a request runs: those it selects and the engine's for the rest; a selected landmarker is backed by the
    /// engine's where it is not confident.
    /// </summary>
    public FaceStages StagesFor(SwapRequest request) => Stages(request.Detector, request.Landmarker, request.Swapper, request.Enhancer);

    private FaceStages Stages(IFaceDetector? detector, IFaceLandmarker? landmarker, IFaceSwapper? swapper = null, IFaceEnhancer? enhancer = null) =>
        new(detector ?? Detector, landmarker is null ? Landmarker : new FallbackLandmarker(landmarker, Landmarker), swapper ?? Swapper, enhancer ?? Enhancer);

    /// <summary>
    /// Faces with landmarks, largest first, ignoring those under the minimum size, found by <paramref name="detector"/>
    /// and <paramref name="landmarker"/> (null: the engine's; see <see cref="StagesFor"/>).
    /// </summary>
    public IReadOnlyList<DetectedFace> FindFaces(Mat bgr, StageTimer timings, IFaceDetector? detector = null, IFaceLandmarker? landmarker = null) =>
        FindFaces(bgr, timings, Stages(detector, landmarker));

    private IReadOnlyList<DetectedFace> FindFaces(Mat bgr, StageTimer timings, FaceStages stages)
    {
        IReadOnlyList<DetectedFace> boxes;
        using (timings.Time("detect"))
        {
            boxes = stages.Detector.Detect(bgr).Where(f => f.Box.Width >= Options.MinFaceSize).ToList();
        }

        using (timings.Time("landmarks"))
        {
            return stages.Landmarker.LocateAll(bgr, boxes)
                .Where(f => f.Landmarks.Length == 68)
                .OrderByDescending(f => f.Box.Width * f.Box.Height)
                .ToList();
        }
    }

    /// <summary>
    /// Prepares the source face: decodes, picks the best face (frontal, eyes open, mouth closed, large), and
    /// computes its embedding once. A source whose best face is turned to profile is refused.
    /// </summary>
    public SourceFace PrepareSource(byte[] imageBytes)
    {
        var timings = new StageTimer();
        using var image = ImageCodec.Decode(imageBytes, Options.MaxPixels);
        var faces = FindFaces(image, timings);
        if (faces.Count == 0)
        {
            throw new FaceSwapException(FaceSwapErrorKind.NoFace, "no face found in the source image");
        }

        var largest = faces.Max(f => f.Box.Width);
        using var mirrored = new Mat();
        Cv2.Flip(image, mirrored, FlipMode.Y);
        var mirroredFaces = FindFaces(mirrored, timings);
        var ranked = faces
            .Select(f =>
            {
                var embedding = Embedder.Embed(image, f.Landmarks);
                return (Face: f, Embedding: embedding, Quality: Assess(f, largest, MirrorConsistency(embedding, f, image.Width, mirrored, mirroredFaces)));
            })
            .OrderByDescending(x => x.Quality.Score)
            .ToList();
        var (best, embedding, quality) = ranked[0];
        if (Math.Abs(quality.Yaw) > MaxSourceYaw)
        {
            throw new FaceSwapException(FaceSwapErrorKind.PoorSource,
                $"the source face is turned to profile (yaw {quality.Yaw:+0.00;-0.00}): use a frontal photo of the face");
        }

        if (quality.Consistency < MinSourceConsistency)
        {
            throw new FaceSwapException(FaceSwapErrorKind.PoorSource,
                $"the source face looks occluded or unclear (it matches its own mirror image at only {quality.Consistency:0.00}, a clear face scores above {MinSourceConsistency:0.00}): use an unobstructed, frontal photo");
        }

        if (quality.MouthOpen > MaxLaughingMouth && quality.EyeOpen < MinLaughingEyes)
        {
            throw new FaceSwapException(FaceSwapErrorKind.PoorSource,
                $"the source face is laughing (mouth open {quality.MouthOpen:0.00}, eyes narrowed to {quality.EyeOpen:0.00}): its squeezed eyes and teeth would be put into every face; use a photo with a relaxed expression and open eyes");
        }

        var cropRect = SourceFace.CropRegion(best.Landmarks, image.Size());
        var crop = new Mat(image, cropRect).Clone();
        var local = best.Landmarks.Select(p => new Point2f(p.X - cropRect.X, p.Y - cropRect.Y)).ToArray();
        return new SourceFace(crop, local, best, embedding, quality) { Origin = cropRect.TopLeft };
    }

    /// <summary>Swaps the source (or its mirror image, for faces looking the other way) into the selected faces of a target image and encodes the result.</summary>
    public SwapResult Swap(byte[] targetBytes, SourceFace source, SwapRequest request) => Swap(targetBytes, SourceSet.WithMirror(this, source), request);

    /// <summary>
    /// Swaps a source set into the selected faces of a target image (per face, the photo of the set whose head pose is
    /// closest) and encodes the result.
    /// </summary>
    public SwapResult Swap(byte[] targetBytes, SourceSet sources, SwapRequest request)
    {
        using var target = Prepare(targetBytes, request.InputName, request.Cache, decodeAhead: false);
        return Swap(target, sources, request);
    }

    /// <summary>
    /// Readies a target for <see cref="Swap(TargetImage, SourceSet, SwapRequest)"/>: checks that its content is what its
    /// name says (<paramref name="inputName"/>, when given) and, with <paramref name="decodeAhead"/>, decodes it now
    /// unless <paramref name="cache"/> already holds its analysis (the engine service does this ahead of its engine
    /// threads).
    /// </summary>
    public TargetImage Prepare(byte[] imageBytes, string? inputName, TargetAnalysisCache? cache, bool decodeAhead)
    {
        if (inputName is not null)
        {
            ImageCodec.CheckContentMatchesName(imageBytes, inputName);
        }

        var target = new TargetImage(imageBytes, cache is null ? null : TargetAnalysisCache.Key(imageBytes));
        if (decodeAhead && (cache is null || !cache.Contains(target.ContentKey!)))
        {
            target.DecodeNow(Options.MaxPixels);
        }

        return target;
    }

    /// <summary>
    /// Swaps a source set into the selected faces of a prepared target (per face, the photo of the set whose head pose
    /// is closest) and encodes the result.
    /// </summary>
    public SwapResult Swap(TargetImage target, SourceSet sources, SwapRequest request)
    {
        var timings = new StageTimer();
        var analysis = this.Analyse(target, request, timings);
        using (var frame = analysis.Frame)
        {
            var (faces, embeddings) = (analysis.Faces, analysis.Embeddings);
            if (faces.Count == 0)
            {
                throw new FaceSwapException(FaceSwapErrorKind.NoFace, "no face found in the image") { AnalysisCacheHit = analysis.CacheHit };
            }

            var choices = TargetFaceSelection.Select(faces, embeddings, request);
            var candidates = faces.Select((face, i) => choices[i].Selected ? sources.For(face.Landmarks) : null).ToArray();
            for (var i = 0; i < faces.Count; i++)
            {
                if (candidates[i] is { } candidate && TargetFaceSelection.OutOfReach(faces[i], candidate.Face) is { } why)
                {
                    choices[i] = (false, why, choices[i].Distance);
                }
            }

            var selected = faces.Where((_, i) => choices[i].Selected).ToList();
            var used = candidates.Where((_, i) => choices[i].Selected).Select(c => c!).ToList();
            using var original = request.MeasureAfter && selected.Count > 0 ? frame.Clone() : null;
            var stages = StagesFor(request);
            var foundAgain = new DetectedFace?[selected.Count];
            for (var i = 0; i < selected.Count; i++)
            {
                var again = new FoundAgain(frame, selected[i]);
                stages.Swapper.Swap(frame, selected[i], used[i].Face, new OutputEncoding(request.OutputFormat, request.Quality, (region, local) => FindAgain(again, region, local)), timings);
                stages.Enhancer.Enhance(frame, selected[i], timings);
                foundAgain[i] = again.InFrame;
            }

            // Only an image with a replaced face is marked as AI-generated: one where no face was selected is the original's pixels.
            var replaced = selected.Count > 0;
            var watermarked = replaced && request.Watermark && request.JobId is not null;
            if (watermarked)
            {
                using (timings.Time("watermark"))
                {
                    Watermark.Embed(frame, request.JobId!);
                }
            }

            byte[] output;
            using (timings.Time("encode"))
            {
                // The input's alpha, EXIF and colour profile travel with the pixels; every output with a replaced face
                // is marked as AI-generated in its metadata (see XmpMarker).
                using var alpha = request.OutputFormat is ImageFormat.Png or ImageFormat.Webp ? ImageCodec.DecodeAlpha(target.Bytes, Options.MaxPixels) : null;
                var encoded = ImageCodec.Encode(frame, request.OutputFormat, request.Quality, alpha);
                encoded = PhotoMetadata.Read(target.Bytes).ForOutput(request.StripGps, frame.Width, frame.Height).WriteInto(encoded, request.OutputFormat);
                output = replaced ? XmpMarker.Mark(encoded, request.OutputFormat, request.JobId, watermarked) : encoded;
            }

            var after = original is not null
                ? verifier.Measure(output, original, selected, foundAgain, sources.Identity, timings)
                : new (float?, RealismFigures?)[selected.Count];
            var reports = new List<FaceReport>(faces.Count);
            var next = 0;
            for (var i = 0; i < faces.Count; i++)
            {
                var (isSelected, reason, distance) = choices[i];
                var similarity = sources.Similarity(embeddings[i]);
                var source = isSelected && sources.IsSet ? used[next].Name : null;
                var upscale = candidates[i] is { } candidate ? TargetFaceSelection.SourceScale(faces[i], candidate.Face) : (float?)null;
                var (similarityAfter, realism) = isSelected ? after[next++] : default;
                reports.Add(new FaceReport(faces[i].BoxArray, faces[i].Score, similarity, similarityAfter, Swapped: isSelected,
                    Selected: isSelected, Reason: reason, ReferenceDistance: distance, Source: source, Realism: realism,
                    SourceScale: upscale));
            }

            return new SwapResult(output, frame.Width, frame.Height, reports, timings.Totals, analysis.CacheHit);
        }
    }

    /// <summary>
    /// The identity embedding of a reference face (reference mode). A reference is a photo of one person; when it
    /// shows more than one face (a loose crop from a group shot catches a neighbour's face at its edge), the face
    /// nearest the centre among those at least half as wide as the largest is taken. An image without a usable face is
    /// refused with <see cref="FaceSwapErrorKind.NoFace"/>.
    /// </summary>
    public float[] PrepareReference(byte[] imageBytes)
    {
        using var image = ImageCodec.Decode(imageBytes, Options.MaxPixels);
        var faces = FindFaces(image, new StageTimer());
        if (faces.Count == 0)
        {
            throw new FaceSwapException(FaceSwapErrorKind.NoFace, "no face found in the reference image");
        }

        var (cx, cy) = (image.Width / 2f, image.Height / 2f);
        var face = faces.Where(f => f.Box.Width >= faces[0].Box.Width / 2)
            .MinBy(f => MathF.Pow(f.Box.X + f.Box.Width / 2 - cx, 2) + MathF.Pow(f.Box.Y + f.Box.Height / 2 - cy, 2))!;
        return Embedder.Embed(image, face.Landmarks);
    }

    /// <summary>Cosine distance (1 - cosine similarity) of two identity embeddings: 0 is the same, 2 the opposite.</summary>
    public static float Distance(float[] a, float[] b) => 1f - FaceEmbedder.Similarity(a, b);

    /// <summary>
    /// Identity similarity of a face to its own mirror image. A clear face scores about 0.8-0.9; hair or a hand over
    /// the face, closed eyes or a blurred face make the two halves disagree and the score drop.
    /// </summary>
    private float MirrorConsistency(float[] embedding, DetectedFace face, int imageWidth, Mat mirrored, IReadOnlyList<DetectedFace> mirroredFaces)
    {
        var box = new Rect2f(imageWidth - face.Box.Right, face.Box.Y, face.Box.Width, face.Box.Height);
        var twin = mirroredFaces.MaxBy(f => DetectedFace.IoU(f.Box, box));
        if (twin is null || DetectedFace.IoU(twin.Box, box) < 0.5f)
        {
            return 0;
        }

        return FaceEmbedder.Similarity(embedding, Embedder.Embed(mirrored, twin.Landmarks));
    }

    /// <summary>
    /// The 68 landmarks of a swapped face in a rendering of its region (<paramref name="region"/>, where the face is
    /// <paramref name="local"/>), found the way the written output will be measured: the region put back into the frame,
    /// the face detected afresh in the window around it (on the first rendering; later renderings of the same face keep
    /// that box), then located. Located from the old box instead, a ghostly face read 1.3 less shade and 0.1 more detail
    /// than on the output, and renderings were accepted that the output failed. Empty when the face is not found again.
    /// </summary>
    private Point2f[] FindAgain(FoundAgain again, Mat region, DetectedFace local)
    {
        var target = again.Target;
        var origin = new Point((int)Math.Round(target.Box.X - local.Box.X), (int)Math.Round(target.Box.Y - local.Box.Y));
        var window = FaceDetector.WindowAround(target.Box, again.Frame.Size());
        var placed = new Rect(origin.X, origin.Y, region.Width, region.Height).Intersect(window);
        if (window.Width < 8 || window.Height < 8 || placed.Width <= 0 || placed.Height <= 0)
        {
            return [];
        }

        using var view = new Mat(again.Frame, window).Clone();
        using (var from = new Mat(region, new Rect(placed.X - origin.X, placed.Y - origin.Y, placed.Width, placed.Height)))
        using (var to = new Mat(view, new Rect(placed.X - window.X, placed.Y - window.Y, placed.Width, placed.Height)))
        {
            from.CopyTo(to);
        }

        if (!again.Searched)
        {
            var box = new Rect2f(target.Box.X - window.X, target.Box.Y - window.Y, target.Box.Width, target.Box.Height);
            again.Face = Detector.DetectAgain(view, box);
            again.Window = window;
            again.Searched = true;
        }

        if (again.Face is null)
        {
            return [];
        }

        var landmarks = Landmarker.Locate(view, again.Face).Landmarks;
        return landmarks.Select(p => new Point2f(p.X + window.X - origin.X, p.Y + window.Y - origin.Y)).ToArray();
    }

    /// <summary>A face being swapped in <see cref="Frame"/>, and where it was found again on its first rendering.</summary>
    private sealed class FoundAgain(Mat frame, DetectedFace target)
    {
        public Mat Frame { get; } = frame;

        public DetectedFace Target { get; } = target;

        public bool Searched { get; set; }

        /// <summary>The face as detected on the first rendering, in the window's coordinates (null: not found).</summary>
        public DetectedFace? Face { get; set; }

        /// <summary>The window <see cref="Face"/> was looked for in.</summary>
        public Rect Window { get; set; }

        /// <summary><see cref="Face"/> in the frame's coordinates (null: not looked for, or not found).</summary>
        public DetectedFace? InFrame => Face is { } face
            ? face with { Box = new Rect2f(face.Box.X + Window.X, face.Box.Y + Window.Y, face.Box.Width, face.Box.Height), Landmarks = [] }
            : null;
    }

    private static SourceQuality Assess(DetectedFace face, float largestWidth, float consistency)
    {
        var p = face.Landmarks;
        var yaw = FaceGeometry.Yaw(p);
        var mouth = FaceGeometry.MouthOpen(p);
        var eyes = FaceGeometry.EyeOpen(p);
        var size = face.Box.Width / Math.Max(1f, largestWidth);
        var score = face.Score
            * (1 - Math.Min(1f, Math.Abs(yaw) * 1.5f))
            * (1 - Math.Min(0.8f, mouth * 2f))
            * Math.Min(1f, eyes / 0.2f)
            * (0.6f + 0.4f * size)
            * Math.Clamp(consistency, 0.05f, 1f);
        return new SourceQuality(yaw, mouth, eyes, face.Box.Width, consistency, score);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        detectorModel.Dispose();
        landmarkModel.Dispose();
        embedderModel.Dispose();
    }
}
