using System.Globalization;
using System.Runtime.InteropServices;
using FaceSwap.Engine.Onnx.Proto;
using Google.Protobuf;

namespace FaceSwap.Engine.Onnx;

/// <summary>
/// Reads, edits and writes ONNX models (ModelProto) without ONNX Runtime. Fields the bundled onnx.proto subset
/// does not declare are kept by Google.Protobuf as unknown fields, so parse + write keeps a model intact.
/// </summary>
public static class OnnxModelEditor
{
    // Deeply nested If/Loop subgraphs exceed Google.Protobuf's default of 100 levels.
    private const int RecursionLimit = 1000;

    /// <summary>Parses a model; a file that is not a ModelProto gives <see cref="FaceSwapErrorKind.ModelCorrupt"/>.</summary>
    public static ModelProto Parse(ReadOnlySpan<byte> model)
    {
        try
        {
            var proto = new ModelProto();
            using (var input = CodedInputStream.CreateWithLimits(new MemoryStream(model.ToArray(), writable: false), int.MaxValue, RecursionLimit))
            {
                proto.MergeFrom(input);
            }

            if (proto.Graph is null)
            {
                throw new FaceSwapException(FaceSwapErrorKind.ModelCorrupt, "not an ONNX model: it has no graph");
            }

            return proto;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new FaceSwapException(FaceSwapErrorKind.ModelCorrupt, $"not an ONNX model: {e.Message}", e);
        }
    }

    /// <summary>Serialises a model.</summary>
    public static byte[] Write(ModelProto model) => model.ToByteArray();

    /// <summary>
    /// Gives dimension 0 of every graph input and output (and of every value_info entry of rank 2 or more) whose
    /// dim 0 is the fixed value 1 the symbolic name <paramref name="dimName"/>, so a session accepts batches.
    /// Inputs that are initializers (older IRs list them as inputs) are left alone. Whether the model then runs with
    /// batch &gt; 1 depends on constants inside it (Reshape targets), which only running it can show.
    /// </summary>
    /// <returns>The edited model and a line per changed tensor ("input 'x' [1,3,8,8] -> [batch,3,8,8]").</returns>
    public static (byte[] Model, IReadOnlyList<string> Changed) MakeBatchDimensionSymbolic(byte[] model, string dimName = "batch")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dimName);
        var proto = Parse(model);
        var graph = proto.Graph;
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var changed = new List<string>();

        foreach (var input in graph.Input.Where(i => !initializers.Contains(i.Name)))
        {
            MakeSymbolic(input, "input", minRank: 1, dimName, changed);
        }

        foreach (var output in graph.Output)
        {
            MakeSymbolic(output, "output", minRank: 1, dimName, changed);
        }

        foreach (var info in graph.ValueInfo)
        {
            MakeSymbolic(info, "value_info", minRank: 2, dimName, changed);
        }

        return (changed.Count == 0 ? model : Write(proto), changed);
    }

    /// <summary>
    /// Rewrites constant Reshape targets that start with a fixed 1 (such as [1,-1] before a final Gemm) to start with
    /// 0, which ONNX reads as "copy dim 0 of the input", so the batch passes through. Only targets held in an int64
    /// initializer or Constant node used by nothing but Reshapes (without allowzero) are touched. This is right when
    /// dim 0 of each such Reshape's input is the batch; run the model with batch &gt; 1 to check.
    /// </summary>
    public static (byte[] Model, IReadOnlyList<string> Changed) FollowBatchInReshapes(byte[] model)
    {
        var proto = Parse(model);
        var graph = proto.Graph;
        var consumers = graph.Node.SelectMany(n => n.Input.Select(i => (Input: i, Node: n)))
            .ToLookup(p => p.Input, p => p.Node, StringComparer.Ordinal);
        var changed = new List<string>();
        foreach (var reshape in graph.Node.Where(n => n.OpType == "Reshape" && n.Domain is "" or "ai.onnx" && n.Input.Count == 2).ToList())
        {
            var target = reshape.Input[1];
            if (consumers[target].Any(n => n.OpType != "Reshape" || n.Attribute.Any(a => a.Name == "allowzero" && a.I != 0)))
            {
                continue;
            }

            var tensor = FindInitializer(proto, target)
                ?? graph.Node.FirstOrDefault(n => n.OpType == "Constant" && n.Output.Contains(target))?.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
            if (tensor is null || tensor.DataType != (int)TensorProto.Types.DataType.Int64 || tensor.Dims.Count != 1 || tensor.Dims[0] < 2)
            {
                continue;
            }

            var values = ReadInt64s(tensor);
            if (values[0] != 1)
            {
                continue;
            }

            var before = "[" + string.Join(",", values) + "]";
            values[0] = 0;
            WriteInt64s(tensor, values);
            changed.Add($"reshape '{reshape.Name}' target '{target}' {before} -> [{string.Join(",", values)}]");
        }

        return (changed.Count == 0 ? model : Write(proto), changed);
    }

    /// <summary>The values of an int64 tensor, from raw_data or int64_data.</summary>
    public static long[] ReadInt64s(TensorProto tensor) => tensor.HasRawData
        ? MemoryMarshal.Cast<byte, long>(tensor.RawData.Span).ToArray()
        : tensor.Int64Data.ToArray();

    private static void WriteInt64s(TensorProto tensor, long[] values)
    {
        if (tensor.HasRawData)
        {
            tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        }
        else
        {
            tensor.Int64Data.Clear();
            tensor.Int64Data.AddRange(values);
        }
    }

    /// <summary>
    /// <see cref="MakeBatchDimensionSymbolic"/> then <see cref="FollowBatchInReshapes"/>: the edits that let the embedded
    /// models run batched (measured: fr_detect and fr_landmark need only the first, fr_feature both). Check the result
    /// by comparing a batched run with batch-1 runs before relying on it for another model.
    /// </summary>
    public static (byte[] Model, IReadOnlyList<string> Changed) MakeBatchable(byte[] model, string dimName = "batch")
    {
        var (symbolic, dims) = MakeBatchDimensionSymbolic(model, dimName);
        var (edited, reshapes) = FollowBatchInReshapes(symbolic);
        return (edited, [.. dims, .. reshapes]);
    }

    /// <summary>The shape of a value as text: [1,3,?,batch] (? for an unnamed unknown dimension).</summary>
    public static string DescribeShape(ValueInfoProto value)
    {
        var shape = value.Type?.TensorType?.Shape;
        return shape is null ? "[?]" : "[" + string.Join(",", shape.Dim.Select(Describe)) + "]";
    }

    /// <summary>An initializer by name.</summary>
    public static TensorProto? FindInitializer(ModelProto model, string name) =>
        model.Graph.Initializer.FirstOrDefault(t => t.Name == name);

    /// <summary>The values of a float tensor, from raw_data (little endian) or float_data.</summary>
    public static float[] ReadFloats(TensorProto tensor)
    {
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new FaceSwapException(FaceSwapErrorKind.ModelContract,
                $"initializer '{tensor.Name}' holds {(TensorProto.Types.DataType)tensor.DataType}, expected FLOAT");
        }

        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new FaceSwapException(FaceSwapErrorKind.ModelContract,
                $"initializer '{tensor.Name}' is stored in an external data file, which is not supported");
        }

        if (tensor.HasRawData)
        {
            var raw = tensor.RawData.Span;
            if (raw.Length % sizeof(float) != 0)
            {
                throw new FaceSwapException(FaceSwapErrorKind.ModelCorrupt, $"initializer '{tensor.Name}' has {raw.Length} raw bytes, not a whole number of floats");
            }

            if (!BitConverter.IsLittleEndian)
            {
                throw new PlatformNotSupportedException("ONNX raw_data is little endian; this host is not");
            }

            return MemoryMarshal.Cast<byte, float>(raw).ToArray();
        }

        return tensor.FloatData.ToArray();
    }

    /// <summary>Number of elements a tensor's dims declare.</summary>
    public static long ElementCount(TensorProto tensor) => tensor.Dims.Aggregate(1L, (a, d) => a * d);

    private static void MakeSymbolic(ValueInfoProto value, string what, int minRank, string dimName, List<string> changed)
    {
        var shape = value.Type?.TensorType?.Shape;
        if (shape is null || shape.Dim.Count < minRank || shape.Dim.Count == 0)
        {
            return;
        }

        var first = shape.Dim[0];
        if (first.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || first.DimValue != 1)
        {
            return;
        }

        var before = DescribeShape(value);
        first.DimParam = dimName;
        changed.Add($"{what} '{value.Name}' {before} -> {DescribeShape(value)}");
    }

    private static string Describe(TensorShapeProto.Types.Dimension d) => d.ValueCase switch
    {
        TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => d.DimValue.ToString(CultureInfo.InvariantCulture),
        TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => d.DimParam,
        _ => "?",
    };
}
