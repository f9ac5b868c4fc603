using Microsoft.ML.OnnxRuntime;

namespace FaceSwap.Engine.Models;

/// <summary>Where ONNX Runtime runs the models.</summary>
public enum ExecutionProvider
{
    /// <summary>The CPU (always available).</summary>
    Cpu,
    /// <summary>NVIDIA CUDA: needs the GPU build of ONNX Runtime and CUDA/cuDNN on the machine.</summary>
    Cuda,
    /// <summary>NVIDIA TensorRT (falls back to CUDA, then CPU, for nodes TensorRT cannot take).</summary>
    TensorRt,
}

/// <summary>Names, availability checks and session set-up for <see cref="ExecutionProvider"/>.</summary>
public static class ExecutionProviders
{
    /// <summary>The names users write: cpu, cuda, tensorrt.</summary>
    public static readonly IReadOnlyList<string> Names = ["cpu", "cuda", "tensorrt"];

    /// <summary>Parses a provider name; null for an unknown one.</summary>
    public static ExecutionProvider? Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        null or "" or "cpu" => ExecutionProvider.Cpu,
        "cuda" => ExecutionProvider.Cuda,
        "tensorrt" or "trt" => ExecutionProvider.TensorRt,
        _ => null,
    };

    /// <summary>The providers this build of ONNX Runtime offers (CPUExecutionProvider, CUDAExecutionProvider, ...).</summary>
    public static IReadOnlyList<string> Available() => OrtEnv.Instance().GetAvailableProviders();

    /// <summary>
    /// Throws <see cref="ExecutionProviderUnavailableException"/> when the provider is not part of this build,
    /// naming the build that has it.
    /// </summary>
    public static void EnsureAvailable(ExecutionProvider provider, IReadOnlyList<string>? available = null)
    {
        if (provider == ExecutionProvider.Cpu)
        {
            return;
        }

        available ??= Available();
        var needed = provider == ExecutionProvider.Cuda ? "CUDAExecutionProvider" : "TensorrtExecutionProvider";
        if (!available.Contains(needed))
        {
            throw new ExecutionProviderUnavailableException(provider,
                $"execution provider '{Name(provider)}' is not available in this build of ONNX Runtime (it offers {string.Join(", ", available)}). " +
                "Build with the GPU flavour: `dotnet build -p:OnnxRuntimeFlavor=Gpu` (or publish with it), on Linux x64 with an NVIDIA driver, " +
                "CUDA 12 and cuDNN 9" + (provider == ExecutionProvider.TensorRt ? " plus TensorRT 10" : string.Empty) +
                " installed; or use --execution-provider cpu.");
        }
    }

    /// <summary>Adds the provider to session options (CPU needs nothing: it is always the fallback).</summary>
    public static void Apply(SessionOptions options, ExecutionProvider provider, int deviceId = 0)
    {
        EnsureAvailable(provider);
        try
        {
            switch (provider)
            {
                case ExecutionProvider.TensorRt:
                    options.AppendExecutionProvider_Tensorrt(deviceId);
                    options.AppendExecutionProvider_CUDA(deviceId);
                    break;
                case ExecutionProvider.Cuda:
                    options.AppendExecutionProvider_CUDA(deviceId);
                    break;
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw new ExecutionProviderUnavailableException(provider,
                $"execution provider '{Name(provider)}' is in this build but could not start: {e.Message} " +
                "(check the NVIDIA driver, CUDA 12 and cuDNN 9 libraries on the library path; or use --execution-provider cpu)", e);
        }
    }

    /// <summary>The user-facing name.</summary>
    public static string Name(ExecutionProvider provider) => Names[(int)provider];
}

/// <summary>The selected execution provider cannot be used here.</summary>
public sealed class ExecutionProviderUnavailableException(ExecutionProvider provider, string message, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>The provider asked for.</summary>
    public ExecutionProvider Provider { get; } = provider;
}
