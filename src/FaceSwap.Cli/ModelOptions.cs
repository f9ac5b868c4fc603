using System.CommandLine;
using FaceSwap.Engine.Blending;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Swapping;

namespace FaceSwap.Cli;

/// <summary>
/// --swapper, --enhancer, --detector, --landmarker, --blend-ratio, --pixel-boost, --mask-padding, --poisson and
/// --execution-provider, shared by swap and run.
/// </summary>
public sealed class ModelOptions
{
    /// <summary>--swapper morph|inswapper_128|simswap_256.</summary>
    public Option<string> Swapper { get; } = new Option<string>("--swapper")
    {
        Description = "Face swapper: morph (embedded default), or a user-supplied public model (docs/models.md)",
        DefaultValueFactory = _ => PublicModels.Morph,
    }.AcceptOnlyFromAmong([.. PublicModels.Swappers]);

    /// <summary>--enhancer none|gfpgan_1.4.</summary>
    public Option<string> Enhancer { get; } = new Option<string>("--enhancer")
    {
        Description = "Face enhancer run on swapped faces",
        DefaultValueFactory = _ => PublicModels.NoEnhancer,
    }.AcceptOnlyFromAmong([.. PublicModels.Enhancers]);

    /// <summary>--detector default|scrfd_2.5g|yoloface_8n.</summary>
    public Option<string> Detector { get; } = new Option<string>("--detector")
    {
        Description = "Face detector for the target images: default (embedded), or a user-supplied public model (docs/models.md)",
        DefaultValueFactory = _ => PublicModels.DefaultDetector,
    }.AcceptOnlyFromAmong([.. PublicModels.Detectors]);

    /// <summary>--landmarker default|2dfan4.</summary>
    public Option<string> Landmarker { get; } = new Option<string>("--landmarker")
    {
        Description = "68-point landmarker for the target images: default (embedded), or 2dfan4 (the default where 2dfan4 is not confident)",
        DefaultValueFactory = _ => PublicModels.DefaultLandmarker,
    }.AcceptOnlyFromAmong([.. PublicModels.Landmarkers]);

    /// <summary>--blend-ratio R.</summary>
    public Option<float> BlendRatio { get; } = new("--blend-ratio")
    {
        Description = "Neural swappers: share of the generated face where it is pasted back, 0 to 1",
        DefaultValueFactory = _ => PasteOptions.DefaultBlendRatio,
    };

    /// <summary>--pixel-boost 0|128|256|384|512.</summary>
    public Option<int> PixelBoost { get; } = new("--pixel-boost")
    {
        Description = "Neural swappers: swap each face at 128, 256, 384 or 512 px by tiling the model (FaceFusion's pixel boost; simswap_256: 256 or 512); 0 chooses by face size",
        DefaultValueFactory = _ => PixelBoostTiles.Auto,
    };

    /// <summary>--mask-padding T [R [B [L]]].</summary>
    public Option<int[]> MaskPadding { get; } = new("--mask-padding")
    {
        Description = "Neural swappers: percent of the swapped crop kept out of the mask: all sides, or top right bottom left (e.g. 0 0 30 0 keeps the target's mouth)",
        AllowMultipleArgumentsPerToken = true,
        Arity = new ArgumentArity(1, 4),
    };

    /// <summary>--poisson.</summary>
    public Option<bool> Poisson { get; } = new("--poisson") { Description = "Neural swappers: paste back with Poisson blending" };

    /// <summary>--execution-provider cpu|cuda|tensorrt.</summary>
    public Option<string> Provider { get; } = new Option<string>("--execution-provider")
    {
        Description = "Where ONNX Runtime runs the models; cuda and tensorrt need the GPU build (-p:OnnxRuntimeFlavor=Gpu)",
        DefaultValueFactory = _ => "cpu",
    }.AcceptOnlyFromAmong([.. ExecutionProviders.Names]);

    /// <summary>All of them, to add to a command.</summary>
    public IEnumerable<Option> All => [Swapper, Enhancer, Detector, Landmarker, BlendRatio, PixelBoost, MaskPadding, Poisson, Provider];

    /// <summary>The selection given on the command line.</summary>
    public ModelSelection Selection(ParseResult parse)
    {
        var selection = new ModelSelection
        {
            Swapper = parse.GetValue(Swapper)!,
            Enhancer = parse.GetValue(Enhancer)!,
            Detector = parse.GetValue(Detector)!,
            Landmarker = parse.GetValue(Landmarker)!,
            Paste = new PasteOptions
            {
                BlendRatio = parse.GetValue(BlendRatio),
                Poisson = parse.GetValue(Poisson),
                MaskPadding = Engine.Blending.MaskPadding.From(parse.GetValue(MaskPadding) ?? []),
            },
            PixelBoost = parse.GetValue(PixelBoost),
        };
        if (selection.Validate() is { } problem)
        {
            var option = problem.Field switch
            {
                "blendRatio" => BlendRatio.Name,
                "pixelBoost" => PixelBoost.Name,
                "maskPadding" => MaskPadding.Name,
                _ => "--" + problem.Field,
            };
            throw new CliException($"{option}: {problem.Message}", ExitCodes.Usage);
        }

        return selection;
    }

    /// <summary>The execution provider, checked against this build.</summary>
    public ExecutionProvider ExecutionProvider(ParseResult parse)
    {
        var provider = ExecutionProviders.Parse(parse.GetValue(Provider)) ?? Engine.Models.ExecutionProvider.Cpu;
        try
        {
            ExecutionProviders.EnsureAvailable(provider);
        }
        catch (ExecutionProviderUnavailableException e)
        {
            throw new CliException(e.Message);
        }

        return provider;
    }

    /// <summary>
    /// Loads and checks the public models the selection needs before any image is read: missing, corrupt or
    /// wrong-signature files fail here with their own message.
    /// </summary>
    public static NeuralStack Resolve(NeuralModels models, ModelSelection selection)
    {
        if (selection.IsDefault)
        {
            return new NeuralStack(null, null);
        }

        try
        {
            return models.Resolve(selection);
        }
        catch (ExecutionProviderUnavailableException e)
        {
            throw new CliException(e.Message);
        }
    }
}
