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
    public const string ProviderUnavailable = JobErrorCodes.ExecutionProviderUnavailable;

    /// <summary>How the error of a job refused for its models starts.</summary>
    public const string ErrorPrefix = "model options: ";

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

    /// <summary>
    /// Loads and checks the models a job needs; null when they are usable, else why not, naming the option at fault
    /// (<c>options.landmarker</c>, <c>.swapper</c>, <c>.enhancer</c>, <c>.detector</c>).
    /// </summary>
    public static SourceCheck? Check(Lazy<NeuralModels> loader, JobOptions options)
    {
        var selection = SelectionOf(options);
        if (selection.IsDefault)
        {
            return null;
        }

        if (selection.Validate() is { } problem)
        {
            return new SourceCheck(false, ErrorPrefix + problem.Message, JobErrorCodes.InvalidOptions) { Field = JobErrorFields.Option(problem.Field) };
        }

        // The models are resolved one option at a time, in the order the loader needs them, so the option whose model
        // fails is known without reading the error (loaded models are cached, so the last step costs nothing more).
        var field = JobErrorFields.Options;
        try
        {
            foreach (var (option, step) in Steps(selection))
            {
                field = JobErrorFields.Option(option);
                loader.Value.Resolve(step);
            }

            return null;
        }
        catch (FaceSwapException e)
        {
            return new SourceCheck(false, ErrorPrefix + e.Message, e.Code) { Field = field };
        }
        catch (ExecutionProviderUnavailableException e)
        {
            return new SourceCheck(false, ErrorPrefix + e.Message, ProviderUnavailable) { Field = field };
        }
        catch (ArgumentException e)
        {
            return new SourceCheck(false, ErrorPrefix + e.Message, JobErrorCodes.InvalidOptions) { Field = field };
        }
    }

    /// <summary>The selection built up one option at a time: landmarker, swapper (with its paste-back), enhancer, detector.</summary>
    private static IEnumerable<(string Option, ModelSelection Step)> Steps(ModelSelection full)
    {
        var step = new ModelSelection { Landmarker = full.Landmarker };
        yield return ("landmarker", step);
        step = step with { Swapper = full.Swapper, Paste = full.Paste, PixelBoost = full.PixelBoost };
        yield return ("swapper", step);
        step = step with { Enhancer = full.Enhancer };
        yield return ("enhancer", step);
        yield return ("detector", full);
    }

    /// <summary>The swapper and enhancer of a job (both null for the defaults).</summary>
    public static NeuralStack Stack(Lazy<NeuralModels> loader, JobOptions options)
    {
        var selection = SelectionOf(options);
        return selection.IsDefault ? new NeuralStack(null, null) : loader.Value.Resolve(selection);
    }
}
