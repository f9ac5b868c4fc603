using FaceSwap.Engine.Models;
using FaceSwap.Engine.Onnx;
using FaceSwap.Engine.Onnx.Proto;
using Google.Protobuf;

namespace FaceSwap.Engine.Tests;

/// <summary>
/// Small ONNX graphs with the input and output names and shapes of the public models (no real weights are available
/// here), written to a temporary model folder with a models.json that records their sha256.
/// </summary>
public static class PublicModelStandIns
{
    /// <summary>
    /// A swapper stand-in: output = target * std + mean (so with the model's own normalisation it gives the aligned
    /// crop back, in [0, 1] RGB), or a flat RGB colour when <paramref name="colour"/> is set; plus 0 x mean(source),
    /// so the source input is used. With <paramref name="emap"/> a 512x512 initializer is added last.
    /// </summary>
    public static byte[] Swapper(int size, float[] mean, float[] std, float[]? colour = null, float[]? emap = null)
    {
        var b = new OnnxGraphBuilder("swapper_stand_in")
            .Input("target", 1, 3, size, size)
            .Input("source", 1, 512)
            .Output("output", 1, 3, size, size)
            .Initializer("zero", [0f], 1)
            .Initializer("four_d", [1L, 1L, 1L, 1L], 4)
            .Node("ReduceMean", ["source"], ["source_mean"], ("axes", new[] { 1 }), ("keepdims", 1))
            .Node("Reshape", ["source_mean", "four_d"], ["source_4d"])
            .Node("Mul", ["source_4d", "zero"], ["source_term"]);
        if (colour is null)
        {
            b.Initializer("std", std, 1, 3, 1, 1).Initializer("mean", mean, 1, 3, 1, 1)
                .Node("Mul", ["target", "std"], ["scaled"])
                .Node("Add", ["scaled", "mean"], ["image"]);
        }
        else
        {
            b.Initializer("colour", colour, 1, 3, 1, 1)
                .Node("Mul", ["target", "zero"], ["blank"])
                .Node("Add", ["blank", "colour"], ["image"]);
        }

        b.Node("Add", ["image", "source_term"], ["output"]);
        if (emap is not null)
        {
            b.Initializer("emap", emap, 512, 512);
        }

        return b.Build();
    }

    /// <summary>
    /// An inswapper_128 stand-in of about <paramref name="totalBytes"/> on disk: a graph holding one dummy float
    /// initializer of zeros (streamed to the file, never held in memory), followed by the usual stand-in. Protobuf
    /// merges the two graph fields, so the emap stays the last initializer, as in the public file.
    /// </summary>
    public static void WriteLargeInswapper(string path, long totalBytes)
    {
        var small = Swapper(128, Zero, One, emap: ShiftEmap());
        var raw = (int)((totalBytes - small.Length - 64) / 4 * 4);
        var header = new TensorProto { Name = "dummy_weights", DataType = (int)TensorProto.Types.DataType.Float };
        header.Dims.Add(raw / 4);
        var headerBytes = header.ToByteArray();
        var tensorLength = headerBytes.Length + CodedOutputStream.ComputeTagSize(9) + CodedOutputStream.ComputeLengthSize(raw) + raw;
        var graphLength = CodedOutputStream.ComputeTagSize(5) + CodedOutputStream.ComputeLengthSize(tensorLength) + tensorLength;

        using var file = File.Create(path);
        using (var output = new CodedOutputStream(file, leaveOpen: true))
        {
            output.WriteTag(7, WireFormat.WireType.LengthDelimited);
            output.WriteLength(graphLength);
            output.WriteTag(5, WireFormat.WireType.LengthDelimited);
            output.WriteLength(tensorLength);
            output.Flush();
            file.Write(headerBytes);
            output.WriteTag(9, WireFormat.WireType.LengthDelimited);
            output.WriteLength(raw);
            output.Flush();
        }

        var zeros = new byte[1 << 20];
        for (var left = raw; left > 0; left -= zeros.Length)
        {
            file.Write(zeros, 0, Math.Min(left, zeros.Length));
        }

        file.Write(small);
    }

    /// <summary>
    /// A crossface_simswap stand-in: input 'input' [1,512] times a 512x512 matrix (by default <see cref="ShiftEmap"/>:
    /// converted[j] = 2 raw[j-1]), so a test sees whether the converter was applied.
    /// </summary>
    public static byte[] Converter(float[]? matrix = null) => new OnnxGraphBuilder("crossface_stand_in")
        .Input("input", 1, 512)
        .Output("output", 1, 512)
        .Initializer("matrix", matrix ?? ShiftEmap(), 512, 512)
        .Node("MatMul", ["input", "matrix"], ["output"])
        .Build();

    /// <summary>An ArcFace stand-in: [N,3,112,112] -> per-channel means -> a fixed 3x512 projection -> [N,512].</summary>
    public static byte[] ArcFace()
    {
        var random = new Random(5);
        var projection = Enumerable.Range(0, 3 * 512).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        return new OnnxGraphBuilder("arcface_stand_in")
            .Input("input.1", "batch", 3, 112, 112)
            .Output("683", "batch", 512)
            .Initializer("projection", projection, 3, 512)
            .Node("GlobalAveragePool", ["input.1"], ["pooled"])
            .Node("Flatten", ["pooled"], ["flat"], ("axis", 1))
            .Node("MatMul", ["flat", "projection"], ["683"])
            .Build();
    }

    /// <summary>A GFPGAN stand-in: output = -input (in [-1, 1]), with or without the optional double 'weight' input.</summary>
    public static byte[] Gfpgan(bool withWeight)
    {
        var b = new OnnxGraphBuilder("gfpgan_stand_in")
            .Input("input", 1, 3, 512, 512)
            .Output("output", 1, 3, 512, 512)
            .Node("Neg", ["input"], ["output"]);
        if (withWeight)
        {
            b.Input("weight", TensorProto.Types.DataType.Double, 1);
        }

        return b.Build();
    }

    /// <summary>Writes models into a folder with a models.json recording their sha256 and size; returns the directory.</summary>
    public static ModelDirectory Directory(string folder, IReadOnlyDictionary<string, byte[]> files)
    {
        System.IO.Directory.CreateDirectory(folder);
        var entries = new List<ModelEntry>();
        foreach (var (name, bytes) in files)
        {
            var path = Path.Combine(folder, name + ".onnx");
            File.WriteAllBytes(path, bytes);
            entries.Add(new ModelEntry(name, name + ".onnx", "test", ModelDirectory.Sha256Of(path), bytes.Length, "test", null, null));
        }

        return new ModelDirectory(folder, new ModelCatalog { Models = entries });
    }

    /// <summary>A 512x512 emap with known effect: 2 x a cyclic shift by one (latent[j] = 2 raw[j-1] / |raw|).</summary>
    public static float[] ShiftEmap()
    {
        var emap = new float[512 * 512];
        for (var i = 0; i < 512; i++)
        {
            emap[i * 512 + (i + 1) % 512] = 2f;
        }

        return emap;
    }

    /// <summary>inswapper_128's normalisation (0 / 1) and simswap_256's (ImageNet).</summary>
    public static readonly float[] Zero = [0f, 0f, 0f];

    /// <summary>Unit std.</summary>
    public static readonly float[] One = [1f, 1f, 1f];

    /// <summary>ImageNet mean.</summary>
    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];

    /// <summary>ImageNet std.</summary>
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>A model whose file names the public model but whose signature is another's.</summary>
    public static byte[] WrongSignature() => new OnnxGraphBuilder("wrong").Input("x", 1, 3, 64, 64).Output("y", 1, 3, 64, 64).Node("Identity", ["x"], ["y"]).Build();

    /// <summary>Loads a stand-in set for a selection.</summary>
    public static NeuralModels Load(ModelDirectory directory) => new(directory, new OnnxSettings { IntraOpThreads = 1 });

    /// <summary>The contract shapes of a model (used to show a test's stand-in matches the public one).</summary>
    public static ModelContract Contract(string name) => PublicModels.Contracts[name];
}
