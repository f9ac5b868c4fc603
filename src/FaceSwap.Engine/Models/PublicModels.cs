using FaceSwap.Engine.Enhancement;
using FaceSwap.Engine.Swapping;

namespace FaceSwap.Engine.Models;

/// <summary>
/// The public models users may supply, with the signatures our code drives them with (names and shapes from
/// shared/reference/facefusion.md; -1 where the public files differ or are dynamic).
/// </summary>
public static class PublicModels
{
    /// <summary>The embedded default swapper.</summary>
    public const string Morph = "morph";

    /// <summary>InsightFace's inswapper at 128x128.</summary>
    public const string Inswapper128 = "inswapper_128";

    /// <summary>SimSwap at 256x256.</summary>
    public const string SimSwap256 = "simswap_256";

    /// <summary>
    /// FaceFusion's embedding converter for simswap_256: maps the raw ArcFace embedding into the identity space SimSwap
    /// was trained with (its own ArcFace); the plain embedding does not carry the identity.
    /// </summary>
    public const string CrossfaceSimSwap = "crossface_simswap";

    /// <summary>ArcFace (w600k, ResNet-50): the identity embedding the neural swappers take.</summary>
    public const string ArcFace = "arcface_w600k_r50";

    /// <summary>No enhancer.</summary>
    public const string NoEnhancer = "none";

    /// <summary>GFPGAN 1.4 face restoration at 512x512.</summary>
    public const string Gfpgan14 = "gfpgan_1.4";

    /// <summary>The embedded default detector (fr_detect + fr_landmark).</summary>
    public const string DefaultDetector = "default";

    /// <summary>SCRFD 2.5G detector.</summary>
    public const string Scrfd = "scrfd_2.5g";

    /// <summary>YOLOv8n face detector.</summary>
    public const string YoloFace = "yoloface_8n";

    /// <summary>2DFAN4 68-point landmarker.</summary>
    public const string Fan68 = "2dfan4";

    /// <summary>Accepted --swapper values.</summary>
    public static readonly IReadOnlyList<string> Swappers = [Morph, Inswapper128, SimSwap256];

    /// <summary>Accepted --enhancer values.</summary>
    public static readonly IReadOnlyList<string> Enhancers = [NoEnhancer, Gfpgan14];

    /// <summary>Accepted --detector values.</summary>
    public static readonly IReadOnlyList<string> Detectors = [DefaultDetector, Scrfd, YoloFace];

    /// <summary>The embedded default landmarker (fr_landmark).</summary>
    public const string DefaultLandmarker = "default";

    /// <summary>Accepted --landmarker values.</summary>
    public static readonly IReadOnlyList<string> Landmarkers = [DefaultLandmarker, Fan68];

    /// <summary>inswapper_128: target [1,3,128,128] RGB /255, source latent [1,512]; output [1,3,128,128] RGB in [0,1].</summary>
    public static readonly ModelContract Inswapper128Contract = new(Inswapper128,
        [new("target", [1, 3, 128, 128]), new("source", [1, 512])],
        [new(null, [1, 3, 128, 128])]);

    /// <summary>simswap_256: target [1,3,256,256] ImageNet-normalised RGB, source [1,512]; output [1,3,256,256] RGB in [0,1].</summary>
    public static readonly ModelContract SimSwap256Contract = new(SimSwap256,
        [new("target", [1, 3, 256, 256]), new("source", [1, 512])],
        [new(null, [1, 3, 256, 256])]);

    /// <summary>crossface_simswap: input 'input' [1,512] raw ArcFace embedding; output [1,512] in SimSwap's space.</summary>
    public static readonly ModelContract CrossfaceSimSwapContract = new(CrossfaceSimSwap,
        [new("input", [-1, 512])],
        [new(null, [-1, 512])]);

    /// <summary>arcface_w600k_r50: one input [N,3,112,112] RGB (p/127.5 - 1); output [N,512].</summary>
    public static readonly ModelContract ArcFaceContract = new(ArcFace,
        [new(null, [-1, 3, 112, 112])],
        [new(null, [-1, 512])]);

    /// <summary>gfpgan_1.4: input [1,3,512,512] RGB in [-1,1] (and an optional double 'weight'); output [1,3,512,512] in [-1,1].</summary>
    public static readonly ModelContract Gfpgan14Contract = new(Gfpgan14,
        [new("input", [1, 3, 512, 512]), new("weight", [1], Optional: true)],
        [new(null, [1, 3, 512, 512])]);

    /// <summary>scrfd_2.5g: input [1,3,H,W] (p-127.5)/128 BGR; 9 outputs: scores, boxes, keypoints for strides 8, 16, 32.</summary>
    public static readonly ModelContract ScrfdContract = new(Scrfd,
        [new("input", [1, 3, -1, -1])],
        [
            new(null, [-1, 1]), new(null, [-1, 1]), new(null, [-1, 1]),
            new(null, [-1, 4]), new(null, [-1, 4]), new(null, [-1, 4]),
            new(null, [-1, 10]), new(null, [-1, 10]), new(null, [-1, 10]),
        ]);

    /// <summary>yoloface_8n: input [1,3,640,640] BGR /255; output [1,20,N]: cx, cy, w, h, score, 5 x (x, y, conf).</summary>
    public static readonly ModelContract YoloFaceContract = new(YoloFace,
        [new("input", [1, 3, 640, 640])],
        [new(null, [1, 20, -1])]);

    /// <summary>2dfan4: input [1,3,256,256] BGR /255; outputs [1,68,3] points on the 64 grid and [1,68,64,64] heatmaps.</summary>
    public static readonly ModelContract Fan68Contract = new(Fan68,
        [new(null, [1, 3, 256, 256])],
        [new(null, [1, 68, 3]), new(null, [1, 68, 64, 64])]);

    /// <summary>Every public model's contract by name.</summary>
    public static readonly IReadOnlyDictionary<string, ModelContract> Contracts = new[]
    {
        Inswapper128Contract, SimSwap256Contract, CrossfaceSimSwapContract, ArcFaceContract, Gfpgan14Contract, ScrfdContract, YoloFaceContract, Fan68Contract,
    }.ToDictionary(c => c.ModelName, StringComparer.OrdinalIgnoreCase);

    /// <summary>Why a pixel boost does not suit a swapper, or null (0, by face size, always does).</summary>
    public static string? PixelBoostProblem(string swapper, int pixelBoost)
    {
        if (pixelBoost == PixelBoostTiles.Auto)
        {
            return null;
        }

        if (!PixelBoostTiles.Sizes.Contains(pixelBoost))
        {
            return $"pixel boost must be {string.Join(", ", PixelBoostTiles.Sizes)}, or 0 to choose by face size";
        }

        return swapper == SimSwap256 && pixelBoost % 256 != 0 ? $"{SimSwap256} works at a pixel boost of 256 or 512" : null;
    }

    /// <summary>The model files a selection needs (none for the embedded defaults).</summary>
    public static IReadOnlyList<string> Required(ModelSelection selection)
    {
        var names = new List<string>();
        if (selection.Swapper != Morph)
        {
            names.Add(selection.Swapper);
            if (selection.Swapper == SimSwap256)
            {
                names.Add(CrossfaceSimSwap);
            }

            names.Add(ArcFace);
        }

        if (selection.Enhancer != NoEnhancer)
        {
            names.Add(selection.Enhancer);
        }

        if (selection.Detector != DefaultDetector)
        {
            names.Add(selection.Detector);
        }

        if (selection.Landmarker != DefaultLandmarker)
        {
            names.Add(selection.Landmarker);
        }

        return names;
    }
}
