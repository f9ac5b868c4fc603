using FaceSwap.Engine.Onnx.Proto;
using Google.Protobuf;

namespace FaceSwap.Engine.Onnx;

/// <summary>One dimension of a declared shape: a fixed size or a symbolic name.</summary>
public readonly record struct OnnxDim(long? Value, string? Param)
{
    /// <summary>A fixed size.</summary>
    public static implicit operator OnnxDim(long value) => new(value, null);

    /// <summary>A symbolic dimension ("batch").</summary>
    public static implicit operator OnnxDim(string param) => new(null, param);
}

/// <summary>
/// Builds small ONNX models in code: typed inputs and outputs, initializers, nodes with attributes, an opset.
/// Used to make stand-ins with the same signature as public models, and to test the editor.
/// </summary>
public sealed class OnnxGraphBuilder(string name, int opset = 17)
{
    private readonly GraphProto graph = new() { Name = name };

    /// <summary>Declares a float graph input.</summary>
    public OnnxGraphBuilder Input(string inputName, params OnnxDim[] shape) =>
        Input(inputName, TensorProto.Types.DataType.Float, shape);

    /// <summary>Declares a graph input of any element type.</summary>
    public OnnxGraphBuilder Input(string inputName, TensorProto.Types.DataType type, params OnnxDim[] shape)
    {
        this.graph.Input.Add(Value(inputName, type, shape));
        return this;
    }

    /// <summary>Declares a float graph output.</summary>
    public OnnxGraphBuilder Output(string outputName, params OnnxDim[] shape) =>
        Output(outputName, TensorProto.Types.DataType.Float, shape);

    /// <summary>Declares a graph output of any element type.</summary>
    public OnnxGraphBuilder Output(string outputName, TensorProto.Types.DataType type, params OnnxDim[] shape)
    {
        this.graph.Output.Add(Value(outputName, type, shape));
        return this;
    }

    /// <summary>Declares the shape of an intermediate value (value_info).</summary>
    public OnnxGraphBuilder ValueInfo(string valueName, params OnnxDim[] shape)
    {
        this.graph.ValueInfo.Add(Value(valueName, TensorProto.Types.DataType.Float, shape));
        return this;
    }

    /// <summary>Adds a float initializer stored as raw_data.</summary>
    public OnnxGraphBuilder Initializer(string tensorName, float[] values, params long[] dims)
    {
        this.graph.Initializer.Add(FloatTensor(tensorName, values, dims));
        return this;
    }

    /// <summary>Adds an int64 initializer (Reshape targets, axes).</summary>
    public OnnxGraphBuilder Initializer(string tensorName, long[] values, params long[] dims)
    {
        this.graph.Initializer.Add(Int64Tensor(tensorName, values, dims));
        return this;
    }

    /// <summary>
    /// Adds a node. Attribute values may be int/long, float, string, int[]/long[], float[] or a <see cref="TensorProto"/>.
    /// </summary>
    public OnnxGraphBuilder Node(string opType, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{this.graph.Node.Count}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes.Select(a => Attribute(a.Name, a.Value)));
        this.graph.Node.Add(node);
        return this;
    }

    /// <summary>The model as a ModelProto.</summary>
    public ModelProto BuildProto()
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "FaceSwap.Engine.OnnxGraphBuilder",
            Graph = this.graph.Clone(),
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    /// <summary>The model as bytes, ready for an InferenceSession or a file.</summary>
    public byte[] Build() => BuildProto().ToByteArray();

    /// <summary>A float tensor with raw_data.</summary>
    public static TensorProto FloatTensor(string tensorName, float[] values, params long[] dims)
    {
        CheckCount(tensorName, values.Length, dims);
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        var tensor = new TensorProto { Name = tensorName, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    /// <summary>An int64 tensor.</summary>
    public static TensorProto Int64Tensor(string tensorName, long[] values, params long[] dims)
    {
        CheckCount(tensorName, values.Length, dims);
        var tensor = new TensorProto { Name = tensorName, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Int64Data.AddRange(values);
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    private static void CheckCount(string tensorName, int count, long[] dims)
    {
        var expected = dims.Aggregate(1L, (a, d) => a * d);
        if (expected != count)
        {
            throw new ArgumentException($"tensor '{tensorName}': {count} values for dims [{string.Join(",", dims)}] ({expected} expected)");
        }
    }

    private static ValueInfoProto Value(string valueName, TensorProto.Types.DataType type, OnnxDim[] shape)
    {
        var tensorShape = new TensorShapeProto();
        foreach (var d in shape)
        {
            tensorShape.Dim.Add(d.Param is { } p
                ? new TensorShapeProto.Types.Dimension { DimParam = p }
                : new TensorShapeProto.Types.Dimension { DimValue = d.Value ?? throw new ArgumentException($"'{valueName}': a dimension needs a size or a name") });
        }

        return new ValueInfoProto
        {
            Name = valueName,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = tensorShape } },
        };
    }

    private static AttributeProto Attribute(string attributeName, object value)
    {
        var a = new AttributeProto { Name = attributeName };
        switch (value)
        {
            case int i:
                a.Type = AttributeProto.Types.AttributeType.Int;
                a.I = i;
                break;
            case long l:
                a.Type = AttributeProto.Types.AttributeType.Int;
                a.I = l;
                break;
            case float f:
                a.Type = AttributeProto.Types.AttributeType.Float;
                a.F = f;
                break;
            case string s:
                a.Type = AttributeProto.Types.AttributeType.String;
                a.S = ByteString.CopyFromUtf8(s);
                break;
            case int[] ints:
                a.Type = AttributeProto.Types.AttributeType.Ints;
                a.Ints.AddRange(ints.Select(x => (long)x));
                break;
            case long[] longs:
                a.Type = AttributeProto.Types.AttributeType.Ints;
                a.Ints.AddRange(longs);
                break;
            case float[] floats:
                a.Type = AttributeProto.Types.AttributeType.Floats;
                a.Floats.AddRange(floats);
                break;
            case TensorProto t:
                a.Type = AttributeProto.Types.AttributeType.Tensor;
                a.T = t;
                break;
            default:
                throw new ArgumentException($"attribute '{attributeName}': unsupported value type {value.GetType().Name}");
        }

        return a;
    }
}
