using FaceSwap.Engine;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Grains.Inference;

/// <summary>
/// A silo's models, loaded once on first use: the face engine and the loader of public models, on the configured
/// execution provider and never another. A failed load is kept for readiness.
/// </summary>
public sealed partial class EngineModels : IDisposable
{
    private readonly FaceSwapSiloOptions options;
    private readonly ILogger logger;
    private readonly Lazy<FaceEngine> engine;

    /// <summary>Prepares the loaders; nothing is loaded yet.</summary>
    public EngineModels(FaceSwapSiloOptions options, ILogger logger)
    {
        this.options = options;
        this.logger = logger;
        engine = new Lazy<FaceEngine>(Load, LazyThreadSafetyMode.ExecutionAndPublication);
        Neural = NeuralJobs.Loader(options);
    }

    /// <summary>The face engine, loaded on first use.</summary>
    public FaceEngine Engine => engine.Value;

    /// <summary>The public models' loader.</summary>
    public Lazy<NeuralModels> Neural { get; }

    /// <summary>Whether the face engine is loaded.</summary>
    public bool Loaded => engine.IsValueCreated;

    /// <summary>Why the face engine could not be loaded, or null while it did not fail.</summary>
    public EngineLoadFailure? LoadFailure { get; private set; }

    private FaceEngine Load()
    {
        try
        {
            return LoadOnProvider();
        }
        catch (Exception e) when (e is ExecutionProviderUnavailableException or FaceSwapException)
        {
            // Never another provider instead: a GPU silo that quietly ran on its CPU would look healthy and be slow.
            LoadFailure = new EngineLoadFailure(e is FaceSwapException f ? f.Code : NeuralJobs.ProviderUnavailable, e.Message);
            LogEngineLoadFailed(LoadFailure.Code, options.ExecutionProvider, e.Message);
            throw;
        }
    }

    private FaceEngine LoadOnProvider()
    {
        var models = ModelStore.ModelFolder.Open(options.ModelsPath);
        var loaded = FaceEngine.Load(models, new EngineOptions
        {
            MaxPixels = options.MaxPixels,
            Onnx = new OnnxSettings
            {
                IntraOpThreads = options.IntraOpThreads,
                Provider = NeuralJobs.Provider(options),
                Batching = new BatchingSettings
                {
                    MaxBatch = Math.Max(1, options.ModelBatch),
                    MaxWait = TimeSpan.FromMilliseconds(Math.Max(0, options.ModelBatchWaitMs)),
                    ConcurrentRuns = options.ModelBatchWaitMs > 0 ? 1 : options.EffectiveConcurrency,
                },
            },
        });
        LogEngineLoaded(models.Path, options.EffectiveConcurrency);
        return loaded;
    }

    [LoggerMessage(1, LogLevel.Information, "Face engine loaded from {ModelsPath} with {Concurrency} pipelines")]
    private partial void LogEngineLoaded(string modelsPath, int concurrency);

    [LoggerMessage(3, LogLevel.Critical, "The face engine cannot load ({Code}) with execution provider '{Provider}': {Message}. This silo stays not ready (/readyz 503) and runs no images; it does not fall back to another provider")]
    private partial void LogEngineLoadFailed(string code, string provider, string message);

    /// <inheritdoc />
    public void Dispose()
    {
        if (engine.IsValueCreated)
        {
            engine.Value.Dispose();
        }

        if (Neural.IsValueCreated)
        {
            Neural.Value.Dispose();
        }
    }
}

/// <summary>Why a silo's engine could not load: an error code (execution_provider_unavailable, model_missing, ...) and the message.</summary>
public sealed record EngineLoadFailure(string Code, string Message);
