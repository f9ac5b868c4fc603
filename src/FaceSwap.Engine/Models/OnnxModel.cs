using Microsoft.ML.OnnxRuntime;

namespace FaceSwap.Engine.Models;

/// <summary>A tensor a model must declare: name, element type and shape (-1 for a dynamic dimension).</summary>
public sealed record TensorContract(string Name, int[] Shape);

/// <summary>The inputs and outputs a runner was written for; checked against the model file at load.</summary>
public sealed record ModelContract(string ModelName, IReadOnlyList<TensorContract> Inputs, IReadOnlyList<TensorContract> Outputs);

/// <summary>Settings for ONNX Runtime sessions.</summary>
public sealed record OnnxSettings
{
    /// <summary>Threads per operator; 0 lets ONNX Runtime choose (all cores).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Where the models run (cpu unless set; cuda and tensorrt need the GPU build).</summary>
    public Neural.ExecutionProvider Provider { get; init; }
}

/// <summary>An ONNX Runtime session whose file has been verified and whose signature matches its contract.</summary>
public sealed class OnnxModel : IDisposable
{
    private OnnxModel(InferenceSession session, ModelContract contract)
    {
        Session = session;
        Contract = contract;
    }

    /// <summary>The session (thread-safe for Run).</summary>
    public InferenceSession Session { get; }

    /// <summary>The contract it was checked against.</summary>
    public ModelContract Contract { get; }

    /// <summary>Loads a model from the model directory and checks its signature.</summary>
    public static OnnxModel Load(ModelDirectory models, ModelContract contract, OnnxSettings settings)
    {
        var path = models.Require(contract.ModelName);
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = settings.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        Neural.ExecutionProviders.Apply(options, settings.Provider);
        InferenceSession session;
        try
        {
            session = new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new FaceSwapException(FaceSwapErrorKind.ModelCorrupt, $"ONNX Runtime cannot load {path}: {e.Message}", e);
        }

        try
        {
            Verify(path, session.InputMetadata, contract.Inputs, "input");
            Verify(path, session.OutputMetadata, contract.Outputs, "output");
        }
        catch
        {
            session.Dispose();
            throw;
        }

        return new OnnxModel(session, contract);
    }

    private static void Verify(string path, IReadOnlyDictionary<string, NodeMetadata> actual, IReadOnlyList<TensorContract> expected, string what)
    {
        foreach (var tensor in expected)
        {
            if (!actual.TryGetValue(tensor.Name, out var meta))
            {
                throw new FaceSwapException(FaceSwapErrorKind.ModelContract,
                    $"{Path.GetFileName(path)}: expected {what} '{tensor.Name}' {Describe(tensor.Shape)}, the model has {string.Join(", ", actual.Select(a => $"'{a.Key}' {Describe(a.Value.Dimensions)}"))}");
            }

            var dims = meta.Dimensions;
            var matches = meta.ElementType == typeof(float) && dims.Length == tensor.Shape.Length
                && dims.Zip(tensor.Shape).All(p => p.Second == -1 || p.First == p.Second || p.First <= 0);
            if (!matches)
            {
                throw new FaceSwapException(FaceSwapErrorKind.ModelContract,
                    $"{Path.GetFileName(path)}: {what} '{tensor.Name}' is {meta.ElementType.Name} {Describe(dims)}, expected Single {Describe(tensor.Shape)}");
            }
        }
    }

    private static string Describe(int[] shape) => "[" + string.Join(",", shape.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";

    /// <inheritdoc />
    public void Dispose() => Session.Dispose();
}
