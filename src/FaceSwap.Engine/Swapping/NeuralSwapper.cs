using FaceSwap.Engine.Blending;
using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Onnx;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Recognition;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace FaceSwap.Engine.Swapping;

/// <summary>How a neural swapper is driven besides its models.</summary>
/// <param name="Paste">How the swapped crop is pasted back.</param>
/// <param name="Landmarker">The selected 68-point landmarker (2dfan4), also used for the source face; null: the embedded one.</param>
/// <param name="PixelBoost">128, 256, 384 or 512 (a multiple of the model's size), or <see cref="PixelBoostTiles.Auto"/>: by face size.</param>
public sealed record NeuralSwapOptions(PasteOptions Paste, IFaceLandmarker? Landmarker = null, int PixelBoost = PixelBoostTiles.Auto);

/// <summary>
/// A neural swapper (inswapper_128 or simswap_256): the target face is aligned to the model's template at the pixel
/// boost size, normalised, swapped tile by tile with the source's identity, and pasted back with the inverse affine
/// through a feathered box mask.
/// </summary>
public sealed class NeuralSwapper : IFaceSwapper
{
    private readonly OnnxModel model;
    private readonly ArcFaceEmbedder arcFace;
    private readonly Func<float[], float[]> toLatent;
    private readonly NeuralSwapOptions options;
    private readonly int size;
    private readonly Point2f[] template;
    private readonly float[] mean;
    private readonly float[] std;

    private NeuralSwapper(string name, OnnxModel model, ArcFaceEmbedder arcFace, Func<float[], float[]> toLatent, NeuralSwapOptions options)
    {
        Name = name;
        this.model = model;
        this.arcFace = arcFace;
        this.toLatent = toLatent;
        this.options = options;
        if (name == PublicModels.Inswapper128)
        {
            (size, template, mean, std) = (128, WarpTemplates.Arcface128, [0f, 0f, 0f], [1f, 1f, 1f]);
        }
        else
        {
            (size, template, mean, std) = (256, WarpTemplates.Arcface112V1, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
        }

        if (options.PixelBoost != PixelBoostTiles.Auto && !PixelBoostTiles.SizesFor(size).Contains(options.PixelBoost))
        {
            throw new ArgumentException($"{name} cannot work at a pixel boost of {options.PixelBoost}: use {string.Join(", ", PixelBoostTiles.SizesFor(size))}", nameof(options));
        }
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>How swapped crops are pasted back.</summary>
    public PasteOptions Paste => options.Paste;

    /// <summary>The crop side the model works at.</summary>
    public int CropSize => size;

    /// <summary>
    /// inswapper_128: reads the emap (the file's last initializer, 512x512) from the model file, streaming past the
    /// rest of the graph.
    /// </summary>
    public static NeuralSwapper CreateInswapper(OnnxModel model, ArcFaceEmbedder arcFace, NeuralSwapOptions options)
    {
        var last = OnnxInitializerReader.ReadLast(model.Path)
            ?? throw new FaceSwapException(FaceSwapErrorKind.ModelContract, $"{Path.GetFileName(model.Path)} has no initializers, so no emap matrix: is it inswapper_128?");
        if (last.Dims.Count != 2 || last.Dims[0] != 512 || last.Dims[1] != 512)
        {
            throw new FaceSwapException(FaceSwapErrorKind.ModelContract,
                $"{Path.GetFileName(model.Path)}: the last initializer '{last.Name}' is [{string.Join(",", last.Dims)}], expected the 512x512 emap matrix of inswapper_128");
        }

        var emap = OnnxModelEditor.ReadFloats(last);
        return new NeuralSwapper(PublicModels.Inswapper128, model, arcFace, raw => EmapLatent(raw, emap), options);
    }

    /// <summary>simswap_256, whose source embedding goes through <paramref name="converter"/> (crossface_simswap).</summary>
    public static NeuralSwapper CreateSimSwap(OnnxModel model, ArcFaceEmbedder arcFace, EmbeddingConverter converter, NeuralSwapOptions options) =>
        new(PublicModels.SimSwap256, model, arcFace, raw => Normalise(converter.Convert(raw)), options);

    /// <summary>
    /// The source input the model takes: inswapper (raw · emap) / |raw| (not re-normalised after the emap);
    /// simswap the converted embedding (crossface_simswap), L2-normalised.
    /// </summary>
    public float[] SourceLatent(float[] raw) => toLatent(raw);

    /// <summary>
    /// The five points the source face is aligned to ArcFace with, in <see cref="SourceFace.Crop"/> coordinates: from the
    /// selected landmarker (2dfan4) where it is confident, as for the targets; else from the embedded 68 landmarks.
    /// </summary>
    public Point2f[] SourcePoints(SourceFace source)
    {
        if (options.Landmarker is { } landmarker)
        {
            var (dx, dy) = (source.Origin.X, source.Origin.Y);
            var face = source.Face;
            var local = new DetectedFace(new Rect2f(face.Box.X - dx, face.Box.Y - dy, face.Box.Width, face.Box.Height), face.Score)
            {
                AlignmentPoints = face.AlignmentPoints.Select(p => new Point2f(p.X - dx, p.Y - dy)).ToArray(),
            };
            var located = landmarker.Locate(source.Crop, local);
            if (located.Landmarks.Length == 68)
            {
                return FaceAlignment.FivePoints(located);
            }
        }

        return FaceGeometry.FivePoints(source.Landmarks);
    }

    /// <summary>
    /// The pixel boost for a face: the chosen one, or by face size the smallest the model can work at that covers the
    /// face's aligned crop in photo pixels (up to 512).
    /// </summary>
    public int PixelBoostFor(DetectedFace face)
    {
        if (options.PixelBoost != PixelBoostTiles.Auto)
        {
            return options.PixelBoost;
        }

        using var affine = FaceAlignment.Estimate(face, template, size);
        var scale = Math.Sqrt(Math.Abs(affine.At<double>(0, 0) * affine.At<double>(1, 1) - affine.At<double>(0, 1) * affine.At<double>(1, 0)));
        return PixelBoostTiles.ForFace(size, size / Math.Max(scale, 1e-6));
    }

    /// <inheritdoc />
    public void Swap(Mat frame, DetectedFace target, SourceFace source, OutputEncoding encoding, StageTimer timings)
    {
        if (target.Landmarks.Length != 68)
        {
            throw new ArgumentException("target face has no landmarks", nameof(target));
        }

        var key = $"{Name}:{options.Landmarker?.Name ?? PublicModels.DefaultLandmarker}:latent";
        var latent = (float[])source.SwapperCache.GetOrAdd(key, _ => SourceLatent(arcFace.Embed(source.Crop, SourcePoints(source))));
        using (timings.Time("swap"))
        {
            var boost = PixelBoostFor(target);
            using var affine = FaceAlignment.Estimate(target, template, boost);
            using var crop = FaceAlignment.Crop(frame, affine, boost);
            using var swapped = Run(crop, latent);
            using var mask = FaceAlignment.BoxMask(boost, Paste.MaskBlur, Paste.MaskPadding);
            FaceAlignment.PasteBack(frame, swapped, mask, affine, Paste);
        }
    }

    /// <summary>
    /// Runs the model on an aligned BGR crop of the model's size or a multiple of it (pixel boost: one run per
    /// interleaved tile); returns the swapped BGR crop of the same size.
    /// </summary>
    public Mat Run(Mat crop, float[] latent)
    {
        if (crop.Width == size)
        {
            return RunTile(crop, latent);
        }

        var tiles = PixelBoostTiles.Implode(crop, size);
        var swapped = new Mat[tiles.Length];
        try
        {
            for (var i = 0; i < tiles.Length; i++)
            {
                swapped[i] = RunTile(tiles[i], latent);
            }

            return PixelBoostTiles.Explode(swapped, size);
        }
        finally
        {
            foreach (var tile in tiles.Concat(swapped).OfType<Mat>())
            {
                tile.Dispose();
            }
        }
    }

    private Mat RunTile(Mat crop, float[] latent)
    {
        var target = new DenseTensor<float>([1, 3, size, size]);
        TensorPacking.PackRgb(crop, target.Buffer.Span, mean.Select(m => m * 255f).ToArray(), std.Select(s => s * 255f).ToArray());
        var sourceTensor = new DenseTensor<float>(latent, [1, latent.Length]);
        using var results = model.Session.Run(
        [
            NamedOnnxValue.CreateFromTensor(model.InputNames[0]!, target),
            NamedOnnxValue.CreateFromTensor(model.InputNames[1]!, sourceTensor),
        ]);
        return TensorPacking.UnpackRgb(results[0].AsTensor<float>(), size, 0f, 1f);
    }

    private static float[] Normalise(float[] v)
    {
        var norm = MathF.Max(MathF.Sqrt(v.Sum(x => x * x)), 1e-6f);
        return v.Select(x => x / norm).ToArray();
    }

    private static float[] EmapLatent(float[] raw, float[] emap)
    {
        var norm = MathF.Max(MathF.Sqrt(raw.Sum(v => v * v)), 1e-6f);
        var n = raw.Length;
        var latent = new float[n];
        for (var j = 0; j < n; j++)
        {
            var sum = 0f;
            for (var i = 0; i < n; i++)
            {
                sum += raw[i] * emap[i * n + j];
            }

            latent[j] = sum / norm;
        }

        return latent;
    }
}
