using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Blending;
using FaceSwap.Grains.Hosting;
using FaceSwap.ModelStore;

namespace FaceSwap.Grains.Inference;

/// <summary>The public models a job selects: resolved once per silo, checked when the job starts.</summary>
public static class NeuralJobs
{
    /// <summary>The error class of a job refused because its execution provider is not in this build.</summary>
    public const string ProviderUnavailable = "execution_provider_unavailable";

    /// <summary>How the error of a job refused for its models starts (the API turns it into a 422 naming the option).</summary>
    public const string ErrorPrefix = "model options: ";

    /// <summary>The request field a refusal names: options.swapper, .enhancer, .detector or .landmarker; null if not a model refusal.</summary>
    public static string? FieldOf(string? error)
    {
        if (error is null || !error.StartsWith(ErrorPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        bool Names(params string[] models) => models.Any(m => error.Contains(m, StringComparison.Ordinal));
        return Names(PublicModels.Inswapper128, PublicModels.SimSwap256, PublicModels.ArcFace) ? "options.swapper"
            : Names(PublicModels.Gfpgan14) ? "options.enhancer"
            : Names(PublicModels.Scrfd, PublicModels.YoloFace) ? "options.detector"
            : Names(PublicModels.Fan68) ? "options.landmarker"
            : "options";
    }

    /// <summary>A job's model selection.</summary>
    public static ModelSelection SelectionOf(JobOptions options) => new()
    {
        Swapper = options.Swapper,
        Enhancer = options.Enhancer,
        Detector = options.Detector,
        Landmarker = options.Landmarker,
        Paste = new PasteOptions { BlendRatio = options.BlendRatio, Poisson = options.Poisson, MaskPadding = MaskPadding.From(options.MaskPadding ?? []) },
        PixelBoost = options.PixelBoost,
    };

    /// <summary>The silo's loader of public models, on the configured execution provider.</summary>
    public static Lazy<NeuralModels> Loader(FaceSwapSiloOptions options) => new(() => new NeuralModels(
        ModelFolder.Open(options.ModelsPath),
        new OnnxSettings { Provider = Provider(options), IntraOpThreads = options.IntraOpThreads }), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The configured execution provider; an unknown name is an error that lists the known ones.</summary>
    public static ExecutionProvider Provider(FaceSwapSiloOptions options) => ExecutionProviders.Parse(options.ExecutionProvider)
        ?? throw new ExecutionProviderUnavailableException(ExecutionProvider.Cpu,
            $"unknown execution provider '{options.ExecutionProvider}': use {string.Join(", ", ExecutionProviders.Names)}");

    /// <summary>Loads and checks the models a job needs; null when they are usable, else why not.</summary>
    public static SourceCheck? Check(Lazy<NeuralModels> loader, JobOptions options)
    {
        var selection = SelectionOf(options);
        if (selection.IsDefault)
        {
            return null;
        }

        try
        {
            loader.Value.Resolve(selection);
            return null;
        }
        catch (FaceSwapException e)
        {
            return new SourceCheck(false, ErrorPrefix + e.Message, e.Code);
        }
        catch (ExecutionProviderUnavailableException e)
        {
            return new SourceCheck(false, ErrorPrefix + e.Message, ProviderUnavailable);
        }
        catch (ArgumentException e)
        {
            return new SourceCheck(false, ErrorPrefix + e.Message, "invalid_options");
        }
    }

    /// <summary>The swapper and enhancer of a job (both null for the defaults).</summary>
    public static NeuralStack Stack(Lazy<NeuralModels> loader, JobOptions options)
    {
        var selection = SelectionOf(options);
        return selection.IsDefault ? new NeuralStack(null, null) : loader.Value.Resolve(selection);
    }
}
