using FaceSwap.Engine.Blending;
using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Pipeline;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace FaceSwap.Engine.Enhancement;

/// <summary>
/// gfpgan_1.4: the face aligned to ffhq_512 at 512, RGB in [-1, 1]; the output clipped to [-1, 1], pasted back through
/// a feathered box mask and blended with the frame (FaceFusion's default face_enhancer_blend of 80%).
/// </summary>
public sealed class GfpganEnhancer(OnnxModel model, float blend = GfpganEnhancer.DefaultBlend, float maskBlur = 0.3f) : IFaceEnhancer
{
    /// <summary>Share of the enhanced face in the result.</summary>
    public const float DefaultBlend = 0.8f;

    private const int Size = 512;

    /// <inheritdoc />
    public string Name => PublicModels.Gfpgan14;

    /// <inheritdoc />
    public void Enhance(Mat frame, DetectedFace face, StageTimer timings)
    {
        using var scope = timings.Time("enhance");
        using var affine = FaceAlignment.Estimate(face, WarpTemplates.Ffhq512, Size);
        using var crop = FaceAlignment.Crop(frame, affine, Size);
        using var enhanced = Run(crop);
        using var mask = FaceAlignment.BoxMask(Size, maskBlur);
        FaceAlignment.PasteBack(frame, enhanced, mask, affine, new PasteOptions { BlendRatio = blend, MaskBlur = maskBlur });
    }

    /// <summary>Runs the model on an aligned 512x512 BGR crop; returns the enhanced BGR crop.</summary>
    public Mat Run(Mat crop)
    {
        var input = new DenseTensor<float>([1, 3, Size, Size]);
        TensorPacking.PackRgb(crop, input.Buffer.Span, [127.5f, 127.5f, 127.5f], [127.5f, 127.5f, 127.5f]);
        var inputs = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor(model.InputNames[0]!, input) };
        if (model.InputNames[1] is { } weight)
        {
            inputs.Add(NamedOnnxValue.CreateFromTensor(weight, new DenseTensor<double>(new[] { 1.0 }, [1])));
        }

        using var results = model.Session.Run(inputs);
        return TensorPacking.UnpackRgb(results[0].AsTensor<float>(), Size, -1f, 1f);
    }
}
