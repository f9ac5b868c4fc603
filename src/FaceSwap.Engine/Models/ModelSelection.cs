using FaceSwap.Engine.Blending;
using FaceSwap.Engine.Swapping;

namespace FaceSwap.Engine.Models;

/// <summary>Which swapper, enhancer and detector a job uses, and how swapped faces are pasted back.</summary>
public sealed record ModelSelection
{
    /// <summary>morph (embedded default), inswapper_128 or simswap_256.</summary>
    public string Swapper { get; init; } = PublicModels.Morph;

    /// <summary>none (default) or gfpgan_1.4.</summary>
    public string Enhancer { get; init; } = PublicModels.NoEnhancer;

    /// <summary>default (embedded), scrfd_2.5g or yoloface_8n.</summary>
    public string Detector { get; init; } = PublicModels.DefaultDetector;

    /// <summary>default (embedded fr_landmark) or 2dfan4.</summary>
    public string Landmarker { get; init; } = PublicModels.DefaultLandmarker;

    /// <summary>Paste-back of neural swaps.</summary>
    public PasteOptions Paste { get; init; } = new();

    /// <summary>Neural swappers: 128, 256, 384 or 512 (a multiple of the model's size), or 0 to choose by face size.</summary>
    public int PixelBoost { get; init; } = PixelBoostTiles.Auto;

    /// <summary>The embedded defaults only.</summary>
    public bool IsDefault => Swapper == PublicModels.Morph && Enhancer == PublicModels.NoEnhancer && Detector == PublicModels.DefaultDetector
        && Landmarker == PublicModels.DefaultLandmarker;

    /// <summary>A problem with the names, or null: field name and message.</summary>
    public (string Field, string Message)? Validate()
    {
        if (!PublicModels.Swappers.Contains(Swapper))
        {
            return ("swapper", $"unknown swapper '{Swapper}': use {string.Join(", ", PublicModels.Swappers)}");
        }

        if (!PublicModels.Enhancers.Contains(Enhancer))
        {
            return ("enhancer", $"unknown enhancer '{Enhancer}': use {string.Join(", ", PublicModels.Enhancers)}");
        }

        if (!PublicModels.Detectors.Contains(Detector))
        {
            return ("detector", $"unknown detector '{Detector}': use {string.Join(", ", PublicModels.Detectors)}");
        }

        if (!PublicModels.Landmarkers.Contains(Landmarker))
        {
            return ("landmarker", $"unknown landmarker '{Landmarker}': use {string.Join(", ", PublicModels.Landmarkers)}");
        }

        if (Paste.BlendRatio is < 0 or > 1 || float.IsNaN(Paste.BlendRatio))
        {
            return ("blendRatio", "blend ratio must be between 0 and 1");
        }

        if (PublicModels.PixelBoostProblem(Swapper, PixelBoost) is { } boost)
        {
            return ("pixelBoost", boost);
        }

        if (!Paste.MaskPadding.IsValid)
        {
            return ("maskPadding", "mask padding must be between 0 and 100 (percent) on every side");
        }

        return null;
    }
}
