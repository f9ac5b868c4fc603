using System.Collections.Concurrent;
using FaceSwap.Engine.Blending;
using FaceSwap.Engine.Detection;
using FaceSwap.Engine.Enhancement;
using FaceSwap.Engine.Landmarks;
using FaceSwap.Engine.Recognition;
using FaceSwap.Engine.Swapping;

namespace FaceSwap.Engine.Models;

/// <summary>The swapper and enhancer objects a <see cref="ModelSelection"/> resolves to (null: the embedded default / none).</summary>
public sealed record NeuralStack(IFaceSwapper? Swapper, IFaceEnhancer? Enhancer, IFaceDetector? Detector = null, IFaceLandmarker? Landmarker = null);

/// <summary>
/// Loads the public models a job selects, once per process and model, and checks them before any image is touched:
/// a missing file, a file whose sha256 differs from models.json, or one with another signature each fail with their
/// own <see cref="FaceSwapException"/> (model_missing, model_corrupt, model_contract).
/// </summary>
public sealed class NeuralModels(ModelDirectory models, OnnxSettings settings) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<OnnxModel>> sessions = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<(string Swapper, PasteOptions Paste, string Landmarker, int PixelBoost), Lazy<IFaceSwapper>> swappers = new();

    /// <summary>The model folder.</summary>
    public ModelDirectory Models => models;

    /// <summary>The session settings.</summary>
    public OnnxSettings Settings => settings;

    /// <summary>Public models are run one face per call, on their files as published (no batch-dimension edits).</summary>
    private OnnxSettings Unbatched => settings with { Batching = new BatchingSettings { MaxBatch = 1 } };

    /// <summary>
    /// Checks (and loads) every model a selection needs; throws the first problem. Call at job start.
    /// </summary>
    public NeuralStack Resolve(ModelSelection selection)
    {
        if (selection.Validate() is { } problem)
        {
            throw new ArgumentException(problem.Message, problem.Field);
        }

        if (!selection.IsDefault)
        {
            ExecutionProviders.EnsureAvailable(settings.Provider);
        }

        IFaceLandmarker? landmarker = selection.Landmarker == PublicModels.Fan68 ? new Fan68Landmarker(Session(PublicModels.Fan68)) : null;
        IFaceSwapper? swapper = null;
        if (selection.Swapper != PublicModels.Morph)
        {
            var cacheKey = (selection.Swapper, selection.Paste, selection.Landmarker, selection.PixelBoost);
            var lazy = swappers.GetOrAdd(cacheKey, key => new Lazy<IFaceSwapper>(() =>
            {
                var model = Session(key.Swapper);
                var arcFace = new ArcFaceEmbedder(Session(PublicModels.ArcFace));
                var options = new NeuralSwapOptions(key.Paste, landmarker, key.PixelBoost);
                return key.Swapper == PublicModels.Inswapper128
                    ? NeuralSwapper.CreateInswapper(model, arcFace, options)
                    : NeuralSwapper.CreateSimSwap(model, arcFace, SimSwapConverter(), options);
            }, LazyThreadSafetyMode.ExecutionAndPublication));
            swapper = Value(swappers, cacheKey, lazy);
        }

        IFaceEnhancer? enhancer = selection.Enhancer == PublicModels.Gfpgan14 ? new GfpganEnhancer(Session(PublicModels.Gfpgan14)) : null;
        IFaceDetector? detector = selection.Detector switch
        {
            PublicModels.Scrfd => new ScrfdDetector(Session(PublicModels.Scrfd)),
            PublicModels.YoloFace => new YoloFaceDetector(Session(PublicModels.YoloFace)),
            _ => null,
        };
        return new NeuralStack(swapper, enhancer, detector, landmarker);
    }

    /// <summary>
    /// simswap_256's embedding converter. Without it simswap_256 is refused (model_missing): fed the plain ArcFace
    /// embedding, it would run but not carry the source's identity.
    /// </summary>
    private EmbeddingConverter SimSwapConverter()
    {
        try
        {
            return new EmbeddingConverter(Session(PublicModels.CrossfaceSimSwap));
        }
        catch (FaceSwapException e) when (e.Kind == FaceSwapErrorKind.ModelMissing)
        {
            throw new FaceSwapException(FaceSwapErrorKind.ModelMissing,
                $"{PublicModels.SimSwap256} needs FaceFusion's embedding converter {PublicModels.CrossfaceSimSwap} (the plain ArcFace embedding does not carry the identity into SimSwap): {e.Message}", e);
        }
    }

    /// <summary>The checked session of a public model.</summary>
    public OnnxModel Session(string name)
    {
        if (!PublicModels.Contracts.TryGetValue(name, out var contract))
        {
            throw new ArgumentException($"'{name}' is not a public model this program can run", nameof(name));
        }

        var lazy = sessions.GetOrAdd(name, _ => new Lazy<OnnxModel>(() => OnnxModel.Load(models, contract, Unbatched), LazyThreadSafetyMode.ExecutionAndPublication));
        return Value(sessions, name, lazy);
    }

    private static TValue Value<TKey, TValue>(ConcurrentDictionary<TKey, Lazy<TValue>> cache, TKey key, Lazy<TValue> lazy)
        where TKey : notnull
    {
        try
        {
            return lazy.Value;
        }
        catch
        {
            // Failures are not cached: the user may put the right file in place and retry.
            cache.TryRemove(new KeyValuePair<TKey, Lazy<TValue>>(key, lazy));
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var lazy in sessions.Values.Where(l => l.IsValueCreated))
        {
            lazy.Value.Dispose();
        }
    }
}
