using System.Globalization;
using FaceSwap.Engine.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FaceSwap.Engine.Models;

/// <summary>Settings for ONNX Runtime sessions.</summary>
public sealed record OnnxSettings
{
    /// <summary>Threads per operator; 0 lets ONNX Runtime choose (all cores).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// Dynamic batching; with <see cref="BatchingSettings.MaxBatch"/> above 1 a model whose file fixes its batch at 1
    /// is loaded with a symbolic batch dimension (see <see cref="OnnxModelEditor"/>).
    /// </summary>
    public BatchingSettings Batching { get; init; } = new();

    /// <summary>Where the models run (cpu unless set; cuda and tensorrt need the GPU build).</summary>
    public ExecutionProvider Provider { get; init; }
}

/// <summary>
/// The one model runtime: an ONNX Runtime session over a verified model file whose signature matches its contract, on
/// the chosen execution provider, with dynamic batching for single-input models.
/// </summary>
public sealed class OnnxModel : IDisposable
{
    private readonly Lazy<DynamicBatcher> batcher;

    private OnnxModel(InferenceSession session, ModelContract contract, string path, string?[] inputNames, BatchingSettings batching, IReadOnlyList<string> batchEdits)
    {
        Session = session;
        Contract = contract;
        Path = path;
        InputNames = inputNames;
        OutputNames = [.. session.OutputNames];
        BatchEdits = batchEdits;
        var batchable = contract.Inputs.Count == 1 && session.InputMetadata.Count == 1 && session.InputMetadata.Values.Single().Dimensions[0] <= 0;
        batcher = new(() => new DynamicBatcher(session, contract.Inputs[0].Shape[1..], batchable ? batching : batching with { MaxBatch = 1 }));
    }

    /// <summary>Runs single-input models with dynamic batching.</summary>
    public DynamicBatcher Batcher => batcher.Value;

    /// <summary>What was changed in the file so that it takes batches (empty: it runs one item per call).</summary>
    public IReadOnlyList<string> BatchEdits { get; }

    /// <summary>The session (thread-safe for Run).</summary>
    public InferenceSession Session { get; }

    /// <summary>The contract it was checked against.</summary>
    public ModelContract Contract { get; }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>Actual input names, in the contract's order (an optional input the model lacks is null).</summary>
    public string?[] InputNames { get; }

    /// <summary>Actual output names, in the model's order.</summary>
    public string[] OutputNames { get; }

    /// <summary>
    /// Finds the model in the model directory (missing: <see cref="FaceSwapErrorKind.ModelMissing"/>; sha256 differs
    /// from models.json: <see cref="FaceSwapErrorKind.ModelCorrupt"/>), loads it on the chosen provider, and checks its
    /// signature (<see cref="FaceSwapErrorKind.ModelContract"/>).
    /// </summary>
    public static OnnxModel Load(ModelDirectory models, ModelContract contract, OnnxSettings settings) =>
        Load(models.Require(contract.ModelName), contract, settings);

    /// <summary>Loads a model file that has already been verified, and checks its signature.</summary>
    public static OnnxModel Load(string path, ModelContract contract, OnnxSettings settings)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = settings.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        ExecutionProviders.Apply(options, settings.Provider);
        InferenceSession session;
        IReadOnlyList<string> batchEdits = [];
        try
        {
            if (settings.Batching.MaxBatch > 1 && contract.Inputs.Count == 1)
            {
                var (batchable, edits) = OnnxModelEditor.MakeBatchable(File.ReadAllBytes(path));
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
            var inputs = MatchInputs(path, session, contract);
            MatchOutputs(path, session, contract);
            return new OnnxModel(session, contract, path, inputs, settings.Batching, batchEdits);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Named inputs by name, unnamed ones by position among the rest; every input of the file must be matched.</summary>
    private static string?[] MatchInputs(string path, InferenceSession session, ModelContract contract)
    {
        var names = session.InputNames.ToList();
        var result = new string?[contract.Inputs.Count];
        var unnamed = names.Where(n => contract.Inputs.All(c => c.Name != n)).ToList();
        for (var i = 0; i < contract.Inputs.Count; i++)
        {
            var wanted = contract.Inputs[i];
            var name = wanted.Name is null ? unnamed.FirstOrDefault() : names.FirstOrDefault(n => n == wanted.Name);
            if (name is null)
            {
                if (wanted.Optional)
                {
                    continue;
                }

                throw Mismatch(path, contract, session);
            }

            if (wanted.Name is null)
            {
                unnamed.Remove(name);
            }

            if (!wanted.Optional && !ShapeMatches(session.InputMetadata[name], wanted.Shape))
            {
                throw Mismatch(path, contract, session);
            }

            result[i] = name;
        }

        if (result.Count(r => r is not null) != names.Count)
        {
            throw Mismatch(path, contract, session);
        }

        return result;
    }

    /// <summary>Named outputs by name, unnamed ones by their position in the file.</summary>
    private static void MatchOutputs(string path, InferenceSession session, ModelContract contract)
    {
        var outputs = session.OutputNames;
        for (var i = 0; i < contract.Outputs.Count; i++)
        {
            var wanted = contract.Outputs[i];
            var name = wanted.Name ?? (i < outputs.Count ? outputs[i] : null);
            if (name is null || !session.OutputMetadata.TryGetValue(name, out var meta) || !ShapeMatches(meta, wanted.Shape))
            {
                throw Mismatch(path, contract, session);
            }
        }
    }

    private static bool ShapeMatches(NodeMetadata meta, int[] shape) =>
        meta.ElementType == typeof(float) && meta.Dimensions.Length == shape.Length
        && meta.Dimensions.Zip(shape).All(p => p.Second == -1 || p.First == p.Second || p.First <= 0);

    private static FaceSwapException Mismatch(string path, ModelContract contract, InferenceSession session) =>
        new(FaceSwapErrorKind.ModelContract,
            $"{System.IO.Path.GetFileName(path)} does not have the signature of {contract.ModelName}: expected inputs {Describe(contract.Inputs)} and outputs {Describe(contract.Outputs)}, " +
            $"the file has inputs {Describe(session.InputMetadata)} and outputs {Describe(session.OutputMetadata)}. Is it the right file for {contract.ModelName}?");

    private static string Describe(IEnumerable<TensorContract> tensors) =>
        string.Join(", ", tensors.Select(t => $"{(t.Name is null ? "*" : $"'{t.Name}'")}{(t.Optional ? "?" : string.Empty)} {Shape(t.Shape)}"));

    private static string Describe(IReadOnlyDictionary<string, NodeMetadata> tensors) =>
        string.Join(", ", tensors.Select(t => $"'{t.Key}' {t.Value.ElementType.Name} {Shape(t.Value.Dimensions)}"));

    private static string Shape(int[] shape) =>
        "[" + string.Join(",", shape.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <inheritdoc />
    public void Dispose() => Session.Dispose();
}
