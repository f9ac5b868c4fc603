using FaceSwap.Engine.Blending;
using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Quality;
using OpenCvSharp;

namespace FaceSwap.Engine.Swapping;

/// <summary>
/// The default, weight-free swapper: a piecewise-affine warp of the source face (resampled to the target's scale) onto
/// the target's landmarks (Delaunay triangles over the 68 points plus forehead points; triangles that would fold are
/// left out), the target's low-frequency colour and light and its level of detail and grain given to the warped face,
/// and a feathered blend whose edge lies inside the face on skin. Pixels that are not skin in the target (hair, a hand,
/// glasses frames) or in the source stay the target's, as do an open mouth and closed eyes.
/// </summary>
public sealed class MorphSwapper : IFaceSwapper
{
    /// <summary>Points added above the brows, as a fraction of the brow-to-chin length.</summary>
    private const float ForeheadLift = 0.28f;

    /// <summary>Contour and forehead points are moved to this fraction of their distance from the face centre.</summary>
    private const float ContourPull = 0.91f;

    /// <summary>The mask is pulled inside the hull by this fraction of the eye distance (the jaw contour is loose).</summary>
    private const float MaskInset = 0.02f;

    /// <summary>Width (sigma) of the blend's soft edge, in eye distances.</summary>
    private const float Feather = 0.02f;

    /// <summary>Width (sigma) of the edge around the target's own eyes or mouth where they are kept, in eye distances.</summary>
    private const float KeptFeather = 0.07f;

    /// <summary>
    /// How far, in <see cref="KeptFeather"/> widths, the target's skin kept where the source shows none grows before its
    /// edge is feathered. Grown by a whole width, the many small gaps of a source's skin model (pores, shine, shadow)
    /// took the target's cheeks back: median similarity 0.466 -> 0.449 on the demo photos, 0.453 -> 0.425 held out.
    /// </summary>
    private const float SkinHoleGrowth = 0.3f;

    /// <summary>Inner-lip gap (relative to mouth width) above which the target's mouth interior is kept.</summary>
    private const float OpenMouth = 0.08f;

    /// <summary>Inner-lip gap (relative to mouth width) under which lips are closed: no teeth show between them.</summary>
    private const float PartedLips = 0.045f;

    /// <summary>A target mouth open wider than this (laughing) keeps its own lips as well as its teeth.</summary>
    private const float LaughingMouth = 0.15f;

    /// <summary>An open target mouth with more than this share of teeth (by look, <see cref="Teeth"/>) is laughing.</summary>
    private const double LaughingTeeth = 0.1;

    /// <summary>An eye whose height is under this fraction of its width is closed: the target's own is kept.</summary>
    private const float ClosedEye = 0.14f;

    /// <summary>How far the target's features move towards the source's proportions (see <see cref="Shape"/>).</summary>
    private const float ShapeTransfer = 0.5f;

    /// <summary>Renderings tried per face before the one closest to the thresholds is kept.</summary>
    private const int MaxAttempts = 4;

    /// <summary>Eyes whose outlines are on average more than this share skin-coloured are closed (see <see cref="SkinShare"/>).</summary>
    private const float ClosedEyeSkin = 0.5f;

    /// <summary>Source eyes open less than this fraction of the target's (the pair together) leave the target its own eyes.</summary>
    private const float NarrowedEye = 0.65f;

    /// <summary>
    /// A target face pitched down more than this (<see cref="HeadPose.Pitch"/>) with eyes open less than
    /// <see cref="DowncastEye"/> has downcast eyes.
    /// </summary>
    private const float DowncastPitch = 0.3f;

    /// <summary>See <see cref="DowncastPitch"/>.</summary>
    private const float DowncastEye = 0.2f;

    /// <summary>A target triangle smaller than this fraction of its source triangle (at the same scale) is folded away.</summary>
    private const float MinTriangleArea = 0.12f;

    /// <summary>A target whose colour (Lab chroma, 95th percentile) stays under this is black-and-white.</summary>
    private const float GreyChroma = 3f;

    /// <summary>Lightness (Lab L) by which a brow is darker than the skin around it at least.</summary>
    private const double BrowDarkening = 4;

    /// <summary>
    /// Share of a patch of non-skin that must lie inside a face's features and eye zones for it to count as theirs (make-up,
    /// a brow), not as hair or paint reaching in from beyond.
    /// </summary>
    private const double PatchInsideZone = 0.8;

    /// <inheritdoc />
    public string Name => "morph";

    /// <inheritdoc />
    public void Swap(Mat frame, DetectedFace target, SourceFace source, OutputEncoding encoding, StageTimer timings)
    {
        if (target.Landmarks.Length != 68)
        {
            throw new ArgumentException("target face has no landmarks", nameof(target));
        }

        var eye = FaceGeometry.EyeDistance(target.Landmarks);
        var roi = Cv2.BoundingRect(Extend(target.Landmarks).Select(p => new Point((int)p.X, (int)p.Y)));
        var margin = (int)(Math.Max(roi.Width, roi.Height) * 0.15f) + 4;

        // On the 8-pixel grid of the frame, so a JPEG round trip of the region blocks it as the whole image's would.
        var (left, top) = ((roi.X - margin) / 8 * 8, (roi.Y - margin) / 8 * 8);
        roi = new Rect(left, top, roi.Right + margin - left, roi.Bottom + margin - top).Intersect(new Rect(0, 0, frame.Width, frame.Height));
        if (roi.Width < 8 || roi.Height < 8)
        {
            return;
        }

        using var region = new Mat(frame, roi);
        using var targetLab = LabImage.FromBgr(region);
        var own = target.Landmarks.Select(p => new Point2f(p.X - roi.X, p.Y - roi.Y)).ToArray();
        using var targetSkin = Classify(targetLab, roi.Size, own);
        var keep = TargetKeeps(own, source.Landmarks, targetSkin, targetLab);
        using var targetFrames = Eyewear.Find(targetLab, targetSkin, own);

        var local = Extend(Shape(target.Landmarks, source.Landmarks, keep)).Select(p => new Point2f(p.X - roi.X, p.Y - roi.Y)).ToArray();
        var landmarks = local[..68];
        var localFace = target with { Box = new Rect2f(target.Box.X - roi.X, target.Box.Y - roi.Y, target.Box.Width, target.Box.Height), Landmarks = landmarks };
        Mat warped;
        Mat covered;
        using (timings.Time("swap"))
        {
            (warped, covered) = Warp(source, local, roi.Size, eye);
        }

        using (warped)
        using (covered)
        using (timings.Time("blend"))
        {
            using var sourceLab = LabImage.FromBgr(warped);
            using var inner = Inner(covered, local, eye);
            if (Cv2.CountNonZero(inner) < 16)
            {
                return;
            }

            using var skinSample = RealismMeter.SkinMask(roi.Size, landmarks);
            Cv2.BitwiseAnd(skinSample, inner, skinSample);
            using var sourceSkin = SkinModel.Classify(sourceLab, skinSample);
            using var features = FaceRegions.Features(roi.Size, landmarks);

            // What is swapped: the features, and skin that is skin in both faces; minus what the target keeps.
            using var swapped = new Mat();
            Cv2.BitwiseAnd(targetSkin, sourceSkin, swapped);
            Cv2.BitwiseOr(swapped, features, swapped);

            using var eyeZones = FaceRegions.EyeZones(roi.Size, landmarks);
            using var brows = FaceRegions.Brows(roi.Size, landmarks);
            using (var makeUp = EyeMakeUp(targetSkin, eyeZones))
            {
                Cv2.BitwiseOr(swapped, makeUp, swapped);
            }

            using (var sourceHair = SourceHair(sourceSkin, features, eyeZones, brows))
            {
                Cv2.Subtract(swapped, sourceHair, swapped);
            }

            // The target's own features too, where they lie outside the source's (moved to its proportions): its red lower
            // lip is not skin, and kept like an occluder it showed as a second mouth under the source's. Added after the
            // source's hair is taken out: where that hair lay over the target's brow, the brow stayed as a dark hook
            // beside the new one.
            using (var targetFeatures = FaceRegions.Features(roi.Size, own))
            {
                Cv2.BitwiseOr(swapped, targetFeatures, swapped);
            }

            using var kept = keep.Mask(roi.Size, own);
            if (targetFrames is not null)
            {
                Cv2.BitwiseOr(kept, targetFrames, kept);
            }

            using var notKept = new Mat();
            Cv2.BitwiseNot(kept, notKept);
            Cv2.BitwiseAnd(swapped, notKept, swapped);
            Cv2.BitwiseAnd(swapped, inner, swapped);

            using var weight = new Mat();
            swapped.ConvertTo(weight, MatType.CV_32F, 1.0 / 255);
            using var featureWeight = new Mat();
            features.ConvertTo(featureWeight, MatType.CV_32F, 1.0 / 255);
            Cv2.GaussianBlur(featureWeight, featureWeight, new Size(0, 0), Math.Max(1.0, 0.05 * eye));
            // The source keeps its own colour in its eyes, brows and lips (the lips' then brought to the target's lips' colour
            // at low frequency), not in the lids around its eyes: their colour is the light's (a source lit orange on one side
            // and blue on the other gave its lids to the target as eye shadow).
            using var colourFeatures = FaceRegions.Features(roi.Size, landmarks, nose: false, lids: false, brows: false);
            using (var sourceBrows = SourceBrows(sourceLab, sourceSkin, brows))
            {
                Cv2.BitwiseOr(colourFeatures, sourceBrows, colourFeatures);
            }

            using var colourWeight = new Mat();
            colourFeatures.ConvertTo(colourWeight, MatType.CV_32F, 1.0 / 255);
            Cv2.GaussianBlur(colourWeight, colourWeight, new Size(0, 0), Math.Max(1.0, 0.05 * eye));
            using var sharpWeight = new Mat();
            using (var sharp = FaceRegions.Features(roi.Size, landmarks, nose: false))
            {
                sharp.ConvertTo(sharpWeight, MatType.CV_32F, 1.0 / 255);
            }

            Cv2.GaussianBlur(sharpWeight, sharpWeight, new Size(0, 0), Math.Max(1.0, 0.05 * eye));
            using (var sourceEyesAndMouth = FaceRegions.EyesAndMouth(roi.Size, landmarks))
            using (var targetEyesAndMouth = FaceRegions.EyesAndMouth(roi.Size, own))
            {
                AppearanceMatch.MatchFeatureSharpness(sourceLab, targetLab, sourceEyesAndMouth, targetEyesAndMouth, sharpWeight);
            }

            // Eyes (with their brows) much crisper than the target's own are softened towards them; not where the target
            // keeps an eye of its own (closed or downcast eyes say little of how sharp the photo is).
            if (!keep.LeftEye && !keep.RightEye)
            {
                using var sourceEyes = FaceRegions.Eyes(roi.Size, landmarks);
                using var targetEyes = FaceRegions.Eyes(roi.Size, own);
                using var eyeWeight = new Mat();
                using (var eyesAndBrows = FaceRegions.Eyes(roi.Size, landmarks, 0.2f))
                {
                    Cv2.BitwiseOr(eyesAndBrows, brows, eyesAndBrows);
                    eyesAndBrows.ConvertTo(eyeWeight, MatType.CV_32F, 1.0 / 255);
                }

                Cv2.GaussianBlur(eyeWeight, eyeWeight, new Size(0, 0), Math.Max(1.0, 0.05 * eye));
                AppearanceMatch.SoftenSharperFeatures(sourceLab, targetLab, sourceEyes, targetEyes, eyeWeight, eye);
            }

            using var detailSkin = new Mat();
            Cv2.BitwiseAnd(skinSample, swapped, detailSkin);
            using var alpha = Alpha(inner, swapped, kept, targetSkin, eye);
            var grey = IsGrey(targetLab);
            using var ownFeatures = FaceRegions.Features(roi.Size, own, nose: false);
            using var skinTone = AppearanceMatch.SkinTone(targetLab, targetSkin, ownFeatures, eye);
            // The lips' colour is matched around the mouth only: blurs over the whole face cost more than the rest of a rendering.
            var mouth = MouthArea(landmarks, own, eye, roi.Size);
            var matchLips = !grey && mouth.Width > 2 && mouth.Height > 2;
            if (!matchLips)
            {
                mouth = new Rect(0, 0, 1, 1);
            }

            using var sourceLips = Lips(mouth.Size, landmarks, mouth.Location);
            using var targetLips = Lips(mouth.Size, own, mouth.Location);
            // The lips' colour applies as far as the source keeps its lips' colour (the features' band around them): up to
            // the lip line only, the band's outer edge kept the source's light, orange under the README demo's downcast face.
            using var lipWeight = new Mat(mouth.Size, MatType.CV_32F, Scalar.All(0));
            FaceRegions.FillMouth(lipWeight, landmarks.Select(p => new Point2f(p.X - mouth.X, p.Y - mouth.Y)).ToArray(), 0.04f, 1);
            Cv2.GaussianBlur(lipWeight, lipWeight, new Size(0, 0), Math.Max(1.0, 0.03 * eye));
            using var targetMouth = new Mat(targetLab, mouth);
            // Not HashCode.Combine: it is seeded afresh in every process, and the same swap gave different grain each run.
            var seed = unchecked((roi.X * 73856093) ^ (roi.Y * 19349663) ^ (roi.Width * 83492791));
            var targetWhites = grey ? null : AppearanceMatch.EyeWhites(targetLab, own);
            // Render, measure the figures users will see, and correct the look where a face falls outside them.
            using var lightDeltas = new LightDeltas(sourceLab, targetLab, weight, featureWeight, eye);
            Mat? best = null;
            var bestMiss = float.MaxValue;
            var look = FaceLook.Default;
            for (var attempt = 0; attempt < MaxAttempts; attempt++)
            {
                using var candidate = sourceLab.Clone();
                AppearanceMatch.TransferLight(candidate, lightDeltas, targetLab, skinTone, featureWeight, colourWeight, grey, look);
                if (matchLips)
                {
                    using var candidateMouth = new Mat(candidate, mouth);
                    AppearanceMatch.MatchLipColour(candidateMouth, targetMouth, sourceLips, targetLips, lipWeight, eye);
                }

                if (targetWhites is not null)
                {
                    AppearanceMatch.BalanceEyeWhites(candidate, landmarks, targetWhites, eye);
                }

                AppearanceMatch.MatchDetail(candidate, targetLab, detailSkin, sharpWeight, seed, look.DetailAim);
                var composed = region.Clone();
                Compose(composed, candidate, alpha, look.Presence);
                var figures = Judge(region, composed, localFace, landmarks, encoding);
                var miss = figures is null ? 0 : FaceLook.Miss(figures);
                if (miss < bestMiss)
                {
                    best?.Dispose();
                    (best, bestMiss) = (composed, miss);
                }
                else
                {
                    composed.Dispose();
                }

                if (miss == 0 || figures is null)
                {
                    break;
                }

                look = look.Corrected(figures);
            }

            using (best)
            {
                best!.CopyTo(region);
            }
        }
    }

    /// <summary>
    /// The figures of a rendering as they will be measured on the written output: after a lossy round trip, with the
    /// landmarks found afresh on it (where the engine offers that), else the target's.
    /// </summary>
    private static RealismFigures? Judge(Mat region, Mat composed, DetectedFace face, Point2f[] landmarks, OutputEncoding encoding)
    {
        using var written = encoding.Lossy
            ? Imaging.ImageCodec.Decode(Imaging.ImageCodec.Encode(composed, encoding.Format, encoding.Quality))
            : composed.Clone();
        var found = encoding.Relocate?.Invoke(written, face);
        return RealismMeter.Measure(region, written, found is { Length: 68 } ? found : landmarks, sharpness: false);
    }

    /// <summary>
    /// The source warped triangle by triangle onto the target's points (in ROI coordinates), after resampling the source
    /// to the target's scale when it is larger, and the pixels a triangle covered (folded or crushed triangles, where
    /// the source cannot show what the target shows, are left out).
    /// </summary>
    private (Mat Warped, Mat Covered) Warp(SourceFace source, Point2f[] local, Size size, float targetEye)
    {
        var srcPoints = (Point2f[])source.SwapperCache.GetOrAdd(Name + ":points", _ => Extend(source.Landmarks));
        var triangles = (int[][])source.SwapperCache.GetOrAdd(Name + ":triangles", _ => Triangulate(srcPoints, source.Crop.Size()));
        var scale = targetEye / Math.Max(1f, FaceGeometry.EyeDistance(source.Landmarks));
        using var resampled = new Mat();
        var crop = CleanedSource(source);
        var full = crop;
        if (scale < 0.9f)
        {
            // Shrink with area averaging first: a per-triangle bilinear warp straight from a large source aliases.
            Cv2.Resize(full, resampled, new Size(0, 0), scale, scale, InterpolationFlags.Area);
            crop = resampled;
            srcPoints = srcPoints.Select(p => new Point2f(p.X * scale, p.Y * scale)).ToArray();
        }

        // Each target pixel is owned by the last triangle drawn over it (index + 1; 0: none), and its source position
        // comes from that triangle's affine map: one remap for the whole face instead of a warp per triangle.
        using var owner = new Mat(size, MatType.CV_16UC1, Scalar.All(0));
        var toSource = new List<double[]> { Array.Empty<double>() };
        var areaScale = crop == resampled ? 1f : scale * scale;
        foreach (var t in triangles)
        {
            Point2f[] s = [srcPoints[t[0]], srcPoints[t[1]], srcPoints[t[2]]];
            Point2f[] d = [local[t[0]], local[t[1]], local[t[2]]];
            var sourceArea = SignedArea(s) * areaScale;
            var targetArea = SignedArea(d);
            if (Math.Sign(sourceArea) != Math.Sign(targetArea) || Math.Abs(targetArea) < MinTriangleArea * Math.Abs(sourceArea))
            {
                continue;
            }

            using var matrix = Cv2.GetAffineTransform(d, s);
            matrix.GetArray(out double[] m);
            toSource.Add(m);
            Cv2.FillConvexPoly(owner, d.Select(p => new Point((int)Math.Round(p.X), (int)Math.Round(p.Y))).ToArray(), Scalar.All(toSource.Count - 1), LineTypes.Link8);
        }

        owner.GetArray(out ushort[] owners);
        var mapX = new float[owners.Length];
        var mapY = new float[owners.Length];
        for (var y = 0; y < size.Height; y++)
        {
            for (var x = 0; x < size.Width; x++)
            {
                var i = y * size.Width + x;
                if (owners[i] != 0)
                {
                    var m = toSource[owners[i]];
                    mapX[i] = (float)(m[0] * x + m[1] * y + m[2]);
                    mapY[i] = (float)(m[3] * x + m[4] * y + m[5]);
                }
            }
        }

        using var mapXMat = new Mat(size, MatType.CV_32FC1);
        using var mapYMat = new Mat(size, MatType.CV_32FC1);
        mapXMat.SetArray(mapX);
        mapYMat.SetArray(mapY);
        var warped = new Mat();
        Cv2.Remap(crop, warped, mapXMat, mapYMat, InterpolationFlags.Linear, BorderTypes.Reflect101);
        var covered = new Mat();
        Cv2.Compare(owner, Scalar.All(0), covered, CmpTypes.GT);
        using (var uncovered = new Mat())
        {
            Cv2.BitwiseNot(covered, uncovered);
            warped.SetTo(Scalar.All(0), uncovered);
        }

        return (warped, covered);
    }

    /// <summary>
    /// The source's crop with its eyeglass frames (<see cref="Eyewear"/>) and the marks on its skin (<see cref="SkinMarks"/>)
    /// painted out, once per source: frames or face paint warped onto a face without them look painted on. The crop
    /// itself when the source has neither.
    /// </summary>
    private Mat CleanedSource(SourceFace source) => (Mat)source.SwapperCache.GetOrAdd(Name + ":crop", _ =>
    {
        using var sample = RealismMeter.SkinMask(source.Crop.Size(), source.Landmarks);
        var clean = source.Crop;
        using (var lab = LabImage.FromBgr(clean))
        using (var skin = SkinModel.Classify(lab, sample))
        using (var frames = Eyewear.Find(lab, skin, source.Landmarks))
        {
            if (frames is not null)
            {
                clean = clean.Clone();
                Eyewear.PaintOut(clean, frames, source.Landmarks);
            }
        }

        // Marks are looked for once the frames are gone, on the skin the face then shows; shine is softened, not painted out.
        using (var lab = LabImage.FromBgr(clean))
        {
            var stats = SkinModel.Learn(lab, sample);
            using var skin = SkinModel.Classify(lab, stats);
            using var shine = SkinMarks.Shine(lab, skin, stats, sample);
            if (Cv2.CountNonZero(shine) > 0)
            {
                clean = clean == source.Crop ? clean.Clone() : clean;
                SkinMarks.Soften(clean, lab, shine, skin, source.Landmarks);
            }

            using var marks = SkinMarks.Find(skin, shine, source.Landmarks);
            if (marks is not null)
            {
                clean = clean == source.Crop ? clean.Clone() : clean;
                SkinMarks.PaintOut(clean, marks, source.Landmarks);
            }
        }

        // Teeth between lips that part only a little (a smile): warped onto a closed mouth they made a grin. Lips that
        // do not part show none (what looks like them there is a lip's gloss).
        if (FaceGeometry.MouthOpen(source.Landmarks) is > PartedLips and <= OpenMouth)
        {
            using var lab = LabImage.FromBgr(clean);
            using var teeth = Teeth.Find(lab, source.Landmarks);
            if (teeth is not null)
            {
                clean = clean == source.Crop ? clean.Clone() : clean;
                Teeth.PaintOut(clean, teeth, source.Landmarks);
            }
        }

        return clean;
    });

    /// <summary>
    /// The target's make-up around its eyes: patches that are not skin (liner, dark shadow in the crease) lying almost
    /// wholly between an eye and its brow. Left as occluders, they drew a second lash line over the source's eye
    /// wherever the two eyes do not sit exactly on each other (the features move to the source's proportions): a
    /// doubled, ghostly eye. Patches that reach well beyond (painted wings, face paint, hair, frames) stay the target's:
    /// patches are taken over the whole region, so a lock of hair over an eye is part of the hair it hangs from.
    /// </summary>
    private static Mat EyeMakeUp(Mat targetSkin, Mat eyeZones)
    {
        using var notSkin = new Mat();
        Cv2.BitwiseNot(targetSkin, notSkin);
        return MostlyInside(notSkin, eyeZones);
    }

    /// <summary>
    /// The source's hair where the brows' bands would swap it in: patches of the source that are not skin and reach well
    /// beyond its features (the hair at a turned face's temple), inside a brow's band past the brow's end (outside the
    /// eyes' zones). Swapped in, it left a dark blob beside the target's brow.
    /// </summary>
    private static Mat SourceHair(Mat sourceSkin, Mat features, Mat eyeZones, Mat brows)
    {
        using var own = new Mat();
        Cv2.BitwiseOr(features, eyeZones, own);
        var hair = new Mat();
        Cv2.BitwiseNot(sourceSkin, hair);
        using (var inside = MostlyInside(hair, own))
        {
            Cv2.Subtract(hair, inside, hair);
        }

        Cv2.BitwiseAnd(hair, brows, hair);
        Cv2.Subtract(hair, eyeZones, hair);
        return hair;
    }

    /// <summary>The patches (8-connected) of <paramref name="mask"/> that lie at least <see cref="PatchInsideZone"/> inside <paramref name="zone"/>.</summary>
    private static Mat MostlyInside(Mat mask, Mat zone)
    {
        using var labels = new Mat();
        var count = Cv2.ConnectedComponents(mask, labels, PixelConnectivity.Connectivity8, MatType.CV_32S);
        var total = new int[count];
        var inside = new int[count];
        labels.GetArray(out int[] label);
        zone.GetArray(out byte[] inZone);
        for (var i = 0; i < label.Length; i++)
        {
            total[label[i]]++;
            if (inZone[i] != 0)
            {
                inside[label[i]]++;
            }
        }

        var pixels = new byte[label.Length];
        for (var i = 0; i < label.Length; i++)
        {
            var l = label[i];
            pixels[i] = (byte)(l != 0 && inside[l] > 0 && inside[l] >= PatchInsideZone * total[l] ? 255 : 0);
        }

        var patches = new Mat(mask.Size(), MatType.CV_8UC1, Scalar.All(0));
        patches.SetArray(pixels);
        return patches;
    }

    /// <summary>
    /// The source's brows: the pixels of the brows' bands darker than its skin. The bands reach past the brows' ends,
    /// where a lock of light hair at the temple keeps its own colour as a brow does: a yellow streak across a brow.
    /// </summary>
    private static Mat SourceBrows(Mat sourceLab, Mat sourceSkin, Mat browBands)
    {
        var brows = browBands.Clone();
        using var lightness = sourceLab.ExtractChannel(0);
        var skin = Cv2.Mean(lightness, sourceSkin).Val0;
        using var dark = new Mat();
        Cv2.Threshold(lightness, dark, skin - BrowDarkening, 255, ThresholdTypes.BinaryInv);
        using var dark8 = new Mat();
        dark.ConvertTo(dark8, MatType.CV_8U);
        Cv2.BitwiseAnd(brows, dark8, brows);
        return brows;
    }

    /// <summary>The lips (inside the outer lip line, the opening between them left out) in a frame starting at <paramref name="origin"/>.</summary>
    private static Mat Lips(Size size, Point2f[] landmarks, Point origin)
    {
        var local = landmarks.Select(p => new Point2f(p.X - origin.X, p.Y - origin.Y)).ToArray();
        var lips = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
        FaceRegions.FillMouth(lips, local, 0);
        using var opening = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
        FaceRegions.FillMouthInterior(opening, local);
        Cv2.Subtract(lips, opening, lips);
        return lips;
    }

    /// <summary>Both mouths' box, grown by half an eye distance (past the reach of the lip colour's blur), inside the region.</summary>
    private static Rect MouthArea(Point2f[] source, Point2f[] target, float eye, Size size)
    {
        var box = Cv2.BoundingRect(source[48..60].Concat(target[48..60]).Select(p => new Point((int)p.X, (int)p.Y)));
        var grow = (int)Math.Ceiling(0.5 * eye);
        return new Rect(box.X - grow, box.Y - grow, box.Width + 2 * grow, box.Height + 2 * grow).Intersect(new Rect(0, 0, size.Width, size.Height));
    }

    /// <summary>The region that may be swapped: the hull of the target's points, inside what the warp covered, pulled in.</summary>
    private static Mat Inner(Mat covered, Point2f[] local, float eye)
    {
        var inner = new Mat(covered.Size(), MatType.CV_8UC1, Scalar.All(0));
        Cv2.FillConvexPoly(inner, Cv2.ConvexHull(local.Select(p => new Point((int)Math.Round(p.X), (int)Math.Round(p.Y)))), Scalar.All(255));
        Cv2.BitwiseAnd(inner, covered, inner);
        var k = Math.Max(1, (int)Math.Round(MaskInset * eye));
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * k + 1, 2 * k + 1));
        Cv2.Erode(inner, inner, kernel);
        return inner;
    }

    /// <summary>The target's own skin, learnt from its cheeks, nose and forehead (see <see cref="SkinModel"/>).</summary>
    private static Mat Classify(Mat targetLab, Size size, Point2f[] own)
    {
        using var sample = RealismMeter.SkinMask(size, own);
        var stats = SkinModel.Learn(targetLab, sample);
        var skin = SkinModel.Classify(targetLab, stats);

        // The target's shine is skin, over the whole face (its nose bridge and round its eyes too): kept like an occluder,
        // it stayed as white strokes with hard edges on the new face (a cheek on demo photo 4, a nose bridge on its
        // laughing face, an overexposed cheek held out).
        using var face = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
        Cv2.FillConvexPoly(face, Cv2.ConvexHull(own.Select(p => new Point((int)p.X, (int)p.Y))), Scalar.All(255));
        var grow = Math.Max(1, (int)Math.Round(0.1f * Math.Max(1f, FaceGeometry.EyeDistance(own))));
        using (var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * grow + 1, 2 * grow + 1)))
        {
            Cv2.Dilate(face, face, kernel);
        }

        // Not inside the eyes: a catchlight is not skin, and the eyes' skin share tells closed eyes from open ones.
        Cv2.FillPoly(face, [FaceRegions.Polygon(own, 36, 42), FaceRegions.Polygon(own, 42, 48)], Scalar.All(0));
        using var shine = SkinMarks.Shine(targetLab, skin, stats, face);
        Cv2.BitwiseOr(skin, shine, skin);
        return skin;
    }

    /// <summary>
    /// What stays the target's inside the face: an open mouth's interior (and where an open source mouth's teeth would
    /// land), and eyes closed in the target but open in the source.
    /// </summary>
    private static TargetParts TargetKeeps(Point2f[] target, Point2f[] source, Mat targetSkin, Mat targetLab)
    {
        // Eyes close together (a wink is rare; hair over one eye is not): judged by look, they close as a pair.
        var closedByLook = (SkinShare(target, 36, targetSkin) + SkinShare(target, 42, targetSkin)) / 2 > ClosedEyeSkin;
        bool Closed(int first) => (EyeOpen(target, first) < ClosedEye || closedByLook) && EyeOpen(source, first) >= ClosedEye;

        // The reverse, a narrowed or closing source eye drawn into an open one, changes the target's expression and
        // shows the source's lashes twice: the target keeps its open eyes.
        var narrowed = EyeOpen(source, 36) + EyeOpen(source, 42) < NarrowedEye * (EyeOpen(target, 36) + EyeOpen(target, 42));

        // A face looking down with lids much lower than the source's: its eyes are downcast, half closed (make-up on the
        // lids fools the look test), and the source's open eyes drawn in change where it looks.
        var downcast = HeadPose.Of(target).Pitch > DowncastPitch && FaceGeometry.EyeOpen(target) < DowncastEye
            && EyeOpen(target, 36) + EyeOpen(target, 42) < NarrowedEye * (EyeOpen(source, 36) + EyeOpen(source, 42));

        // A laughing mouth by its landmarks, or an open one showing a row of teeth: the landmarks of a laugh often put
        // the inner lips on the teeth's edges and read the mouth less open than it is (sample1's right face: 0.14).
        var open = FaceGeometry.MouthOpen(target);
        var laughing = open > LaughingMouth || (open > OpenMouth && Teeth.Share(targetLab, target) > LaughingTeeth);
        return new TargetParts(Closed(36) || narrowed || downcast, Closed(42) || narrowed || downcast, open > OpenMouth, laughing, FaceGeometry.MouthOpen(source) > OpenMouth);
    }

    /// <summary>Parts of the target face kept as they are.</summary>
    private sealed record TargetParts(bool LeftEye, bool RightEye, bool OpenMouth, bool WideOpenMouth, bool SourceMouthOpen)
    {
        /// <summary>The kept parts drawn at the target's own landmarks (255 inside).</summary>
        public Mat Mask(Size size, Point2f[] target)
        {
            var kept = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
            if (WideOpenMouth)
            {
                // The lips around a laughing mouth too: its landmarks are loose, and source lips drawn a little beside
                // the target's own show as a second, pale lip.
                FaceRegions.FillMouth(kept, target, grow: 0.04f);
            }
            else if (OpenMouth)
            {
                // Teeth and tongue: a closed source mouth stretched over them looks wrong.
                FaceRegions.FillMouthInterior(kept, target);
            }

            if (SourceMouthOpen)
            {
                // The source's teeth land on the target's inner lips (and, where its landmarks are loose, a little beyond).
                FaceRegions.FillMouthInterior(kept, target, grow: 0.08f);
            }

            if (LeftEye)
            {
                // An open source eye squeezed into a closed one looks like a slit: keep the target's lids.
                FaceRegions.FillEye(kept, target, 36);
            }

            if (RightEye)
            {
                FaceRegions.FillEye(kept, target, 42);
            }

            return kept;
        }
    }

    /// <summary>
    /// The blend weight: a soft edge inside the swapped region's outline, and sharper holes where the target keeps its
    /// own pixels (occluders, open mouth, closed eyes).
    /// </summary>
    private static Mat Alpha(Mat inner, Mat swapped, Mat kept, Mat targetSkin, float eye)
    {
        var sigma = Math.Max(1.0, Feather * eye);
        using var outline = new Mat();
        var k = Math.Max(1, (int)Math.Round(1.5 * sigma));
        using (var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * k + 1, 2 * k + 1)))
        {
            Cv2.Erode(inner, outline, kernel);
        }

        using var soft = new Mat();
        outline.ConvertTo(soft, MatType.CV_32F, 1.0 / 255);
        Cv2.GaussianBlur(soft, soft, new Size(0, 0), sigma);

        // Occluders: inside the outline but not swapped, and not the target's skin. Their edges are sharp, as an
        // occluder's edge is.
        using var holes = new Mat();
        Cv2.Subtract(inner, swapped, holes);
        Cv2.Subtract(holes, kept, holes);
        using var skinHoles = new Mat();
        Cv2.BitwiseAnd(holes, targetSkin, skinHoles);
        Cv2.Subtract(holes, skinHoles, holes);
        using var open = new Mat();
        holes.ConvertTo(open, MatType.CV_32F, 1.0 / 255);
        Cv2.GaussianBlur(open, open, new Size(0, 0), Math.Max(1.2, sigma / 2));

        // Where the target's skin is kept because the source shows no skin there (its hair, its shadowed far cheek), two
        // skins meet: a wide edge (as around the target's own eyes and mouth), grown a little into the hole so the source's
        // hair does not come half way in. Sharp, it left a pale crescent with a hard edge down the cheek of turned sources
        // (held-out sample5's third face, seen at 100 % on demo photos 1 and 4).
        if (Cv2.CountNonZero(skinHoles) > 0)
        {
            var wide = Math.Max(1.0, KeptFeather * eye);
            var g = Math.Max(1, (int)Math.Round(SkinHoleGrowth * wide));
            using (var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * g + 1, 2 * g + 1)))
            {
                Cv2.Dilate(skinHoles, skinHoles, kernel);
            }

            using var gentle = new Mat();
            skinHoles.ConvertTo(gentle, MatType.CV_32F, 1.0 / 255);
            Cv2.GaussianBlur(gentle, gentle, new Size(0, 0), wide);
            Cv2.Max(open, gentle, open);
        }

        // The target's own eyes or mouth: a gradual edge, so the source's shading around them fades in.
        using var own = new Mat();
        kept.ConvertTo(own, MatType.CV_32F, 1.0 / 255);
        Cv2.GaussianBlur(own, own, new Size(0, 0), Math.Max(1.0, KeptFeather * eye));
        Cv2.Max(open, own, open);
        var alpha = new Mat();
        Cv2.Subtract(Scalar.All(1), open, alpha);
        Cv2.Multiply(alpha, soft, alpha);
        return alpha;
    }

    /// <summary>region = presence * alpha * source + (1 - presence * alpha) * region, in 8-bit BGR.</summary>
    private static void Compose(Mat region, Mat sourceLab, Mat alpha, float presence)
    {
        using var sourceBgr = new Mat();
        Cv2.CvtColor(sourceLab, sourceBgr, ColorConversionCodes.Lab2BGR);
        using var target = new Mat();
        region.ConvertTo(target, MatType.CV_32FC3, 1.0 / 255);
        using var alpha3 = new Mat();
        Cv2.Merge([alpha, alpha, alpha], alpha3);
        using var difference = new Mat();
        Cv2.Subtract(sourceBgr, target, difference);
        Cv2.Multiply(difference, alpha3, difference, presence);
        Cv2.Add(target, difference, target);
        target.ConvertTo(region, MatType.CV_8UC3, 255);
    }

    private static bool IsGrey(Mat lab)
    {
        using var a = lab.ExtractChannel(1);
        using var b = lab.ExtractChannel(2);
        using var chroma = new Mat();
        Cv2.Magnitude(a, b, chroma);
        // A few coloured pixels (a sepia scan's speck) do not make a photo colour; most of it being grey does.
        Cv2.MinMaxLoc(chroma, out _, out double max);
        if (max < GreyChroma)
        {
            return true;
        }

        using var coloured = new Mat();
        Cv2.Threshold(chroma, coloured, GreyChroma, 1, ThresholdTypes.Binary);
        return Cv2.CountNonZero(coloured) < 0.02 * lab.Rows * lab.Cols;
    }

    /// <summary>
    /// The share of an eye's outline that is skin-coloured: an open eye shows iris and white, which are not skin; a
    /// closed one is mostly lid. Landmarks alone are often fooled by a downcast, closed eye.
    /// </summary>
    private static float SkinShare(Point2f[] p, int first, Mat skin)
    {
        using var eye = new Mat(skin.Size(), MatType.CV_8UC1, Scalar.All(0));
        Cv2.FillPoly(eye, [FaceRegions.Polygon(p, first, first + 6)], Scalar.All(255));
        var area = Cv2.CountNonZero(eye);
        if (area < 12)
        {
            return 0;
        }

        using var lid = new Mat();
        Cv2.BitwiseAnd(eye, skin, lid);
        return (float)Cv2.CountNonZero(lid) / area;
    }

    private static float EyeOpen(Point2f[] p, int s) =>
        (FaceGeometry.Distance(p[s + 1], p[s + 5]) + FaceGeometry.Distance(p[s + 2], p[s + 4])) / (2 * Math.Max(1e-3f, FaceGeometry.Distance(p[s], p[s + 3])));

    private static float SignedArea(Point2f[] t) => ((t[1].X - t[0].X) * (t[2].Y - t[0].Y) - (t[2].X - t[0].X) * (t[1].Y - t[0].Y)) / 2;

    /// <summary>
    /// The target's landmarks with the inner features (brows, eyes, nose, mouth) moved <see cref="ShapeTransfer"/> of the
    /// way towards the source's, after aligning the source to the target (rotation, scale, shift): the source's
    /// proportions carry much of its identity. The jaw line stays the target's, so the face keeps its outline.
    /// </summary>
    private static Point2f[] Shape(Point2f[] target, Point2f[] source, TargetParts keep)
    {
        using var transform = Cv2.EstimateAffinePartial2D(InputArray.Create(source[17..68]), InputArray.Create(target[17..68]));
        if (transform is null || transform.Empty())
        {
            return target;
        }

        transform.GetArray(out double[] m);
        var shaped = (Point2f[])target.Clone();
        for (var i = 17; i < 68; i++)
        {
            // Kept parts stay where the target has them, or the source's would be drawn beside them.
            if ((keep.LeftEye && i is >= 17 and < 22 or >= 36 and < 42) || (keep.RightEye && i is >= 22 and < 27 or >= 42 and < 48)
                || ((keep.OpenMouth || keep.SourceMouthOpen) && i >= 48))
            {
                continue;
            }

            var x = (float)(m[0] * source[i].X + m[1] * source[i].Y + m[2]);
            var y = (float)(m[3] * source[i].X + m[4] * source[i].Y + m[5]);
            shaped[i] = new Point2f(target[i].X + ShapeTransfer * (x - target[i].X), target[i].Y + ShapeTransfer * (y - target[i].Y));
        }

        return shaped;
    }

    /// <summary>
    /// 68 landmarks plus points on the forehead, lifted from the brows along the face's vertical axis. The jaw
    /// contour and the forehead points are pulled towards the centre of the inner features: fr_landmark's contour
    /// is loose and often lies on hair or background, which would otherwise be pasted onto the target's temples.
    /// </summary>
    public static Point2f[] Extend(Point2f[] p)
    {
        var chin = p[8];
        var bridge = p[27];
        var lift = new Point2f((bridge.X - chin.X) * ForeheadLift, (bridge.Y - chin.Y) * ForeheadLift);
        int[] brows = [17, 19, 21, 22, 24, 26];
        var extended = new Point2f[p.Length + brows.Length];
        p.CopyTo(extended, 0);
        for (var i = 0; i < brows.Length; i++)
        {
            // Outer brow points rise less, so the forehead line curves like a hairline instead of a box.
            var k = i is 0 or 5 ? 0.15f : i is 1 or 4 ? 0.7f : 1f;
            extended[p.Length + i] = new Point2f(p[brows[i]].X + lift.X * k, p[brows[i]].Y + lift.Y * k);
        }

        float cx = 0, cy = 0;
        for (var i = 17; i < 68; i++)
        {
            cx += p[i].X;
            cy += p[i].Y;
        }

        var centre = new Point2f(cx / 51, cy / 51);
        for (var i = 0; i < extended.Length; i++)
        {
            if (i <= 17 || i == 26 || i >= 68)
            {
                extended[i] = new Point2f(centre.X + (extended[i].X - centre.X) * ContourPull, centre.Y + (extended[i].Y - centre.Y) * ContourPull);
            }
        }

        return extended;
    }

    private static int[][] Triangulate(Point2f[] points, Size size)
    {
        var bounds = new Rect(0, 0, size.Width, size.Height);
        var xs = points.Select(p => p.X).ToArray();
        var ys = points.Select(p => p.Y).ToArray();
        var rect = new Rect((int)Math.Floor(xs.Min()) - 2, (int)Math.Floor(ys.Min()) - 2,
            (int)Math.Ceiling(xs.Max() - xs.Min()) + 5, (int)Math.Ceiling(ys.Max() - ys.Min()) + 5);
        using var subdiv = new Subdiv2D(rect.Width > 0 ? rect : bounds);
        foreach (var p in points)
        {
            subdiv.Insert(p);
        }

        var triangles = new List<int[]>();
        foreach (var t in subdiv.GetTriangleList())
        {
            var a = Nearest(points, new Point2f(t.Item0, t.Item1));
            var b = Nearest(points, new Point2f(t.Item2, t.Item3));
            var c = Nearest(points, new Point2f(t.Item4, t.Item5));
            if (a >= 0 && b >= 0 && c >= 0 && a != b && b != c && a != c)
            {
                triangles.Add([a, b, c]);
            }
        }

        return triangles.ToArray();
    }

    private static int Nearest(Point2f[] points, Point2f q)
    {
        for (var i = 0; i < points.Length; i++)
        {
            if (Math.Abs(points[i].X - q.X) < 0.5f && Math.Abs(points[i].Y - q.Y) < 0.5f)
            {
                return i;
            }
        }

        return -1;
    }
}
