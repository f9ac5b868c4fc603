using System.Globalization;
using FaceSwap.Engine.Models;
using Microsoft.ML.OnnxRuntime;

namespace FaceSwap.Engine.Neural;

/// <summary>A tensor a public model must have: a name (null: any, matched by position) and a shape (-1: any size).</summary>
public sealed record NeuralTensor(string? Name, int[] Shape, bool Optional = false);

/// <summary>
/// The signature a public model must have for our code to drive it, from the model's published contract
/// (shared/reference/facefusion.md). Outputs are matched by position: third-party exports name them differently.
/// </summary>
public sealed record NeuralContract(string ModelName, IReadOnlyList<NeuralTensor> Inputs, IReadOnlyList<NeuralTensor> Outputs);

/// <summary>How neural sessions are created.</summary>
public sealed record NeuralSettings
{
    /// <summary>Where the models run.</summary>
    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Cpu;

    /// <summary>Threads per operator; 0 lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; init; }
}

/// <summary>An ONNX Runtime session over a verified public model whose signature matches its contract.</summary>
public sealed class NeuralSession : IDisposable
{
    private NeuralSession(InferenceSession session, NeuralContract contract, string path, string?[] inputNames, string[] outputNames)
    {
        Session = session;
        Contract = contract;
        Path = path;
        InputNames = inputNames;
        OutputNames = outputNames;
    }

    /// <summary>The session (thread-safe for Run).</summary>
    public InferenceSession Session { get; }

    /// <summary>The contract it was checked against.</summary>
    public NeuralContract Contract { get; }

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
    public static NeuralSession Load(ModelDirectory models, NeuralContract contract, NeuralSettings settings)
    {
        var path = models.Require(contract.ModelName);
        return Load(path, contract, settings);
    }

    /// <summary>Loads a model file that has already been verified.</summary>
    public static NeuralSession Load(string path, NeuralContract contract, NeuralSettings settings)
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
            var inputs = MatchInputs(path, session, contract);
            var outputs = session.OutputNames.ToArray();
            if (outputs.Length < contract.Outputs.Count)
            {
                throw Mismatch(path, contract, session);
            }

            for (var i = 0; i < contract.Outputs.Count; i++)
            {
                var meta = session.OutputMetadata[outputs[i]];
                if (!ShapeMatches(meta, contract.Outputs[i].Shape))
                {
                    throw Mismatch(path, contract, session);
                }
            }

            return new NeuralSession(session, contract, path, inputs, outputs);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static string?[] MatchInputs(string path, InferenceSession session, NeuralContract contract)
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

            var meta = session.InputMetadata[name];
            if (!wanted.Optional && !ShapeMatches(meta, wanted.Shape))
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

    private static bool ShapeMatches(NodeMetadata meta, int[] shape) =>
        meta.ElementType == typeof(float) && meta.Dimensions.Length == shape.Length
        && meta.Dimensions.Zip(shape).All(p => p.Second == -1 || p.First == p.Second || p.First <= 0);

    private static FaceSwapException Mismatch(string path, NeuralContract contract, InferenceSession session) =>
        new(FaceSwapErrorKind.ModelContract,
            $"{System.IO.Path.GetFileName(path)} does not have the signature of {contract.ModelName}: expected inputs {Describe(contract.Inputs)} and outputs {Describe(contract.Outputs)}, " +
            $"the file has inputs {Describe(session.InputMetadata)} and outputs {Describe(session.OutputMetadata)}. Is it the right file for {contract.ModelName}?");

    private static string Describe(IEnumerable<NeuralTensor> tensors) =>
        string.Join(", ", tensors.Select(t => $"{(t.Name is null ? "*" : $"'{t.Name}'")}{(t.Optional ? "?" : string.Empty)} {Shape(t.Shape)}"));

    private static string Describe(IReadOnlyDictionary<string, NodeMetadata> tensors) =>
        string.Join(", ", tensors.Select(t => $"'{t.Key}' {t.Value.ElementType.Name} {Shape(t.Value.Dimensions)}"));

    private static string Shape(int[] shape) =>
        "[" + string.Join(",", shape.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <inheritdoc />
    public void Dispose() => Session.Dispose();
}
