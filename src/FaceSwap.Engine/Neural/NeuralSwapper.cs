using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Onnx;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Swapping;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace FaceSwap.Engine.Neural;

/// <summary>
/// arcface_w600k_r50: the raw (not normalised) 512-d identity embedding of a face aligned to arcface_112_v2 at 112,
/// RGB, p/127.5 - 1.
/// </summary>
public sealed class ArcFaceEmbedder(NeuralSession model)
{
    private const int Size = 112;

    /// <summary>The raw embedding of a face given its 68 landmarks in <paramref name="bgr"/>.</summary>
    public float[] Embed(Mat bgr, Point2f[] landmarks68)
    {
        using var affine = FaceAlignment.Estimate(landmarks68, WarpTemplates.Arcface112V2, Size);
        using var crop = FaceAlignment.Crop(bgr, affine, Size);
        var tensor = new DenseTensor<float>([1, 3, Size, Size]);
        NeuralTensors.PackRgb(crop, tensor.Buffer.Span, [127.5f, 127.5f, 127.5f], [127.5f, 127.5f, 127.5f]);
        using var results = model.Session.Run([NamedOnnxValue.CreateFromTensor(model.InputNames[0]!, tensor)]);
        return results[0].AsTensor<float>().ToArray();
    }
}

/// <summary>
/// An embedding converter (crossface_simswap): input 'input' [1,512] raw ArcFace embedding, output [1,512] in the
/// identity space of the swapper it was trained for.
/// </summary>
public sealed class EmbeddingConverter(NeuralSession model)
{
    /// <summary>The converted (not normalised) embedding.</summary>
    public float[] Convert(float[] raw)
    {
        var input = new DenseTensor<float>(raw.ToArray(), [1, raw.Length]);
        using var results = model.Session.Run([NamedOnnxValue.CreateFromTensor(model.InputNames[0]!, input)]);
        return results[0].AsTensor<float>().ToArray();
    }
}

/// <summary>
/// A neural swapper (inswapper_128 or simswap_256): the target face is aligned to the model's template, normalised,
/// swapped with the source's identity, and pasted back with the inverse affine through a feathered box mask.
/// </summary>
public sealed class NeuralSwapper : IFaceSwapper
{
    private readonly NeuralSession model;
    private readonly ArcFaceEmbedder arcFace;
    private readonly Func<float[], float[]> toLatent;
    private readonly int size;
    private readonly Point2f[] template;
    private readonly float[] mean;
    private readonly float[] std;

    private NeuralSwapper(string name, NeuralSession model, ArcFaceEmbedder arcFace, Func<float[], float[]> toLatent, PasteOptions paste)
    {
        Name = name;
        this.model = model;
        this.arcFace = arcFace;
        this.toLatent = toLatent;
        Paste = paste;
        if (name == PublicModels.Inswapper128)
        {
            (size, template, mean, std) = (128, WarpTemplates.Arcface128, [0f, 0f, 0f], [1f, 1f, 1f]);
        }
        else
        {
            (size, template, mean, std) = (256, WarpTemplates.Arcface112V1, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
        }
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>How swapped crops are pasted back.</summary>
    public PasteOptions Paste { get; }

    /// <summary>The crop side the model works at.</summary>
    public int CropSize => size;

    /// <summary>
    /// inswapper_128: reads the emap (the file's last initializer, 512x512) from the model file, streaming past the
    /// rest of the graph.
    /// </summary>
    public static NeuralSwapper CreateInswapper(NeuralSession model, ArcFaceEmbedder arcFace, PasteOptions paste)
    {
        var last = OnnxInitializerReader.ReadLast(model.Path)
            ?? throw new FaceSwapException(FaceSwapErrorKind.ModelContract, $"{Path.GetFileName(model.Path)} has no initializers, so no emap matrix: is it inswapper_128?");
        if (last.Dims.Count != 2 || last.Dims[0] != 512 || last.Dims[1] != 512)
        {
            throw new FaceSwapException(FaceSwapErrorKind.ModelContract,
                $"{Path.GetFileName(model.Path)}: the last initializer '{last.Name}' is [{string.Join(",", last.Dims)}], expected the 512x512 emap matrix of inswapper_128");
        }

        var emap = OnnxModelEditor.ReadFloats(last);
        return new NeuralSwapper(PublicModels.Inswapper128, model, arcFace, raw => EmapLatent(raw, emap), paste);
    }

    /// <summary>simswap_256, whose source embedding goes through <paramref name="converter"/> (crossface_simswap).</summary>
    public static NeuralSwapper CreateSimSwap(NeuralSession model, ArcFaceEmbedder arcFace, EmbeddingConverter converter, PasteOptions paste) =>
        new(PublicModels.SimSwap256, model, arcFace, raw => Normalise(converter.Convert(raw)), paste);

    /// <summary>
    /// The source input the model takes: inswapper (raw · emap) / |raw| (not re-normalised after the emap);
    /// simswap the converted embedding (crossface_simswap), L2-normalised.
    /// </summary>
    public float[] SourceLatent(float[] raw) => toLatent(raw);

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

    /// <inheritdoc />
    public void Swap(Mat frame, DetectedFace target, SourceFace source, OutputEncoding encoding, StageTimer timings)
    {
        if (target.Landmarks.Length != 68)
        {
            throw new ArgumentException("target face has no landmarks", nameof(target));
        }

        var latent = (float[])source.SwapperCache.GetOrAdd(Name + ":latent", _ => SourceLatent(arcFace.Embed(source.Crop, source.Landmarks)));
        using (timings.Time("swap"))
        {
            using var affine = FaceAlignment.Estimate(target.Landmarks, template, size);
            using var crop = FaceAlignment.Crop(frame, affine, size);
            using var swapped = Run(crop, latent);
            using var mask = FaceAlignment.BoxMask(size, Paste.MaskBlur);
            FaceAlignment.PasteBack(frame, swapped, mask, affine, Paste);
        }
    }

    /// <summary>Runs the model on an aligned BGR crop; returns the swapped BGR crop.</summary>
    public Mat Run(Mat crop, float[] latent)
    {
        var target = new DenseTensor<float>([1, 3, size, size]);
        NeuralTensors.PackRgb(crop, target.Buffer.Span, mean.Select(m => m * 255f).ToArray(), std.Select(s => s * 255f).ToArray());
        var sourceTensor = new DenseTensor<float>(latent, [1, latent.Length]);
        using var results = model.Session.Run(
        [
            NamedOnnxValue.CreateFromTensor(model.InputNames[0]!, target),
            NamedOnnxValue.CreateFromTensor(model.InputNames[1]!, sourceTensor),
        ]);
        return NeuralTensors.UnpackRgb(results[0].AsTensor<float>(), size, 0f, 1f);
    }
}
