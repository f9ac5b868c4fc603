using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Blending;
using FaceSwap.Engine.Models;

namespace FaceSwap.Grains.Batch;

/// <summary>Field errors for the model options of a job request (models, blend ratio, pixel boost, mask padding).</summary>
public static class ModelOptionsValidation
{
    /// <summary>Reports each problem through <paramref name="add"/> (field, message).</summary>
    public static void Validate(JobOptions options, Action<string, string> add)
    {
        if (!PublicModels.Swappers.Contains(options.Swapper))
        {
            add("options.swapper", $"must be {Choices(PublicModels.Swappers)}");
        }

        if (!PublicModels.Enhancers.Contains(options.Enhancer))
        {
            add("options.enhancer", $"must be {Choices(PublicModels.Enhancers)}");
        }

        if (!PublicModels.Detectors.Contains(options.Detector))
        {
            add("options.detector", $"must be {Choices(PublicModels.Detectors)}");
        }

        if (!PublicModels.Landmarkers.Contains(options.Landmarker))
        {
            add("options.landmarker", $"must be {Choices(PublicModels.Landmarkers)}");
        }

        if (!(options.BlendRatio >= 0 && options.BlendRatio <= 1))
        {
            add("options.blendRatio", "must be between 0 and 1");
        }

        if (PublicModels.PixelBoostProblem(options.Swapper, options.PixelBoost) is { } boost)
        {
            add("options.pixelBoost", boost);
        }

        if (options.MaskPadding is { } padding && (padding.Count is 0 or > 4 || !MaskPadding.From(padding).IsValid))
        {
            add("options.maskPadding", "must be 1 to 4 percentages (top, right, bottom, left) between 0 and 100");
        }
    }

    private static string Choices(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(names.Count - 1).Select(n => $"'{n}'")) + $" or '{names[^1]}'";
}
