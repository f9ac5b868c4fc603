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

    /// <summary>
    /// Dynamic batching; with <see cref="BatchingSettings.MaxBatch"/> above 1 a model whose file fixes its batch at 1
    /// is loaded with a symbolic batch dimension (see <see cref="Onnx.OnnxModelEditor"/>).
    /// </summary>
    public BatchingSettings Batching { get; init; } = new();
    /// <summary>Where the models run (cpu unless set; cuda and tensorrt need the GPU build).</summary>
    public Neural.ExecutionProvider Provider { get; init; }
}

/// <summary>An ONNX Runtime session whose file has been verified and whose signature matches its contract.</summary>
public sealed class OnnxModel : IDisposable
{
    private OnnxModel(InferenceSession session, ModelContract contract, BatchingSettings batching, IReadOnlyList<string> batchEdits)
    {
        Session = session;
        Contract = contract;
        BatchEdits = batchEdits;
        var batchable = contract.Inputs.Count == 1 && session.InputMetadata.Count == 1 && session.InputMetadata.Values.Single().Dimensions[0] <= 0;
        Batcher = new DynamicBatcher(session, contract.Inputs[0].Shape[1..], batchable ? batching : batching with { MaxBatch = 1 });
    }

    /// <summary>Runs single-input models with dynamic batching.</summary>
    public DynamicBatcher Batcher { get; }

    /// <summary>What was changed in the file so that it takes batches (empty: it runs one item per call).</summary>
    public IReadOnlyList<string> BatchEdits { get; }

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
        IReadOnlyList<string> batchEdits = [];
        try
        {
            if (settings.Batching.MaxBatch > 1 && contract.Inputs.Count == 1)
            {
                var (batchable, edits) = Onnx.OnnxModelEditor.MakeBatchable(File.ReadAllBytes(path));
                session = new InferenceSession(batchable, options);
                batchEdits = edits;
            }
            else
            {
                session = new InferenceSession(path, options);
            }
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

        return new OnnxModel(session, contract, settings.Batching, batchEdits);
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
