using FaceSwap.Engine.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace FaceSwap.Engine.Recognition;

/// <summary>
/// An embedding converter (crossface_simswap): input 'input' [1,512] raw ArcFace embedding, output [1,512] in the
/// identity space of the swapper it was trained for.
/// </summary>
public sealed class EmbeddingConverter(OnnxModel model)
{
    /// <summary>The converted (not normalised) embedding.</summary>
    public float[] Convert(float[] raw)
    {
        var input = new DenseTensor<float>(raw.ToArray(), [1, raw.Length]);
        using var results = model.Session.Run([NamedOnnxValue.CreateFromTensor(model.InputNames[0]!, input)]);
        return results[0].AsTensor<float>().ToArray();
    }
}
