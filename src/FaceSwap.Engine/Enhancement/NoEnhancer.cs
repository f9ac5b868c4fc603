using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Pipeline;
using OpenCvSharp;

namespace FaceSwap.Engine.Enhancement;

/// <summary>The default enhance stage: swapped faces are left as the swapper made them.</summary>
public sealed class NoEnhancer : IFaceEnhancer
{
    /// <summary>The one instance.</summary>
    public static readonly NoEnhancer Instance = new();

    private NoEnhancer()
    {
    }

    /// <inheritdoc />
    public string Name => PublicModels.NoEnhancer;

    /// <inheritdoc />
    public void Enhance(Mat frame, DetectedFace face, StageTimer timings)
    {
    }
}
