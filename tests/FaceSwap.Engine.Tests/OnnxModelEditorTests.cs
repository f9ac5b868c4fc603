using FaceSwap.Engine.Onnx;
using FaceSwap.Engine.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace FaceSwap.Engine.Tests;

public sealed class OnnxModelEditorTests(ITestOutputHelper output)
{
    public static TheoryData<string> EmbeddedModels => new() { "fr_detect", "fr_landmark", "fr_feature" };

    [Fact]
    public void Builder_makes_a_model_onnx_runtime_runs()
    {
        var model = new OnnxGraphBuilder("affine")
            .Input("x", 1, 4)
            .Output("y", 1, 4)
            .Initializer("scale", [2f, 2f, 2f, 2f], 4)
            .Initializer("bias", [1f, 0f, -1f, 0.5f], 4)
            .Node("Mul", ["x", "scale"], ["scaled"])
            .Node("Add", ["scaled", "bias"], ["y"])
            .Build();

        using var session = new InferenceSession(model);
        var result = Run(session, "x", [1f, 2f, 3f, 4f], [1, 4]).Single();

        Assert.Equal([3f, 4f, 5f, 8.5f], result.Values);
        Assert.Equal([1, 4], result.Shape);
    }

    [Fact]
    public void Builder_writes_attributes_of_every_kind()
    {
        var model = new OnnxGraphBuilder("attrs")
            .Input("x", 1, 1, 4, 4)
            .Output("y", 1, 1, 2, 2)
            .Node("MaxPool", ["x"], ["y"], ("kernel_shape", new[] { 2, 2 }), ("strides", new long[] { 2, 2 }), ("auto_pad", "NOTSET"))
            .BuildProto();

        var node = model.Graph.Node.Single();
        Assert.Equal(AttributeProto.Types.AttributeType.Ints, node.Attribute[0].Type);
        Assert.Equal([2L, 2L], node.Attribute[1].Ints);
        Assert.Equal("NOTSET", node.Attribute[2].S.ToStringUtf8());

        using var session = new InferenceSession(model.ToByteArray());
        var result = Run(session, "x", Enumerable.Range(0, 16).Select(i => (float)i).ToArray(), [1, 1, 4, 4]).Single();
        Assert.Equal([5f, 7f, 13f, 15f], result.Values);
    }

    [Theory]
    [MemberData(nameof(EmbeddedModels))]
    public void Round_trip_keeps_an_embedded_model_loadable_with_identical_outputs(string name)
    {
        var original = File.ReadAllBytes(TestAssets.Models.Require(name));
        var written = OnnxModelEditor.Write(OnnxModelEditor.Parse(original));

        // A second round trip must not change anything: nothing is lost or reinterpreted on the way.
        Assert.Equal(written, OnnxModelEditor.Write(OnnxModelEditor.Parse(written)));
        Assert.InRange(written.Length, original.Length - 64, original.Length + 64);

        using var before = new InferenceSession(original);
        using var after = new InferenceSession(written);
        var (inputName, shape) = SingleInput(before);
        var data = RandomInput(shape, seed: 7);
        var expected = Run(before, inputName, data, shape);
        var actual = Run(after, inputName, data, shape);
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (e, a) in expected.Zip(actual))
        {
            Assert.Equal(e.Name, a.Name);
            Assert.Equal(e.Shape, a.Shape);
            Assert.Equal(e.Values, a.Values);
        }
    }

    [Fact]
    public void Fields_the_subset_does_not_declare_survive_a_round_trip()
    {
        var model = new OnnxGraphBuilder("unknown").Input("x", 1, 2).Output("y", 1, 2).Node("Identity", ["x"], ["y"]).Build();

        // ModelProto field 26 (configuration: DeviceConfigurationProto { name = "mesh" }) is not in the subset;
        // its tag is 26 << 3 | 2 = 210, a two-byte varint.
        byte[] unknown = [0xD2, 0x01, 6, 0x0A, 4, (byte)'m', (byte)'e', (byte)'s', (byte)'h'];
        var withUnknown = model.Concat(unknown).ToArray();

        var written = OnnxModelEditor.Write(OnnxModelEditor.Parse(withUnknown));

        Assert.Equal(withUnknown.Length, written.Length);
        Assert.True(written.AsSpan().IndexOf(unknown) >= 0, "the undeclared field is written back");
    }

    [Fact]
    public void Not_an_onnx_model_is_reported_as_corrupt()
    {
        var error = Assert.Throws<FaceSwapException>(() => OnnxModelEditor.Parse("this is not a model"u8));
        Assert.Equal(FaceSwapErrorKind.ModelCorrupt, error.Kind);
        Assert.Contains("not an ONNX model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Symbolic_batch_changes_inputs_outputs_and_value_info_but_not_initializers_listed_as_inputs()
    {
        var proto = new OnnxGraphBuilder("batchable")
            .Input("x", 1, 3)
            .Input("w", 1, 3)
            .Output("y", 1, 3)
            .ValueInfo("t", 1, 3)
            .ValueInfo("rank1", 1)
            .Initializer("w", [1f, 2f, 3f], 1, 3)
            .Node("Mul", ["x", "w"], ["t"])
            .Node("Relu", ["t"], ["y"])
            .BuildProto();

        var (edited, changed) = OnnxModelEditor.MakeBatchDimensionSymbolic(proto.ToByteArray(), "n");

        Assert.Equal(
            ["input 'x' [1,3] -> [n,3]", "output 'y' [1,3] -> [n,3]", "value_info 't' [1,3] -> [n,3]"],
            changed);
        var graph = OnnxModelEditor.Parse(edited).Graph;
        Assert.Equal("[1,3]", OnnxModelEditor.DescribeShape(graph.Input.Single(i => i.Name == "w")));
        Assert.Equal("[1]", OnnxModelEditor.DescribeShape(graph.ValueInfo.Single(i => i.Name == "rank1")));

        using var session = new InferenceSession(edited);
        var results = Run(session, "x", [-1f, 1f, 1f, 2f, -2f, 2f], [2, 3]);
        Assert.Equal([0f, 2f, 3f, 2f, 0f, 6f], results.Single(r => r.Name == "y").Values);
        Assert.Equal([2, 3], results.Single(r => r.Name == "y").Shape);
    }

    [Fact]
    public void Reshape_targets_starting_with_1_follow_the_batch_unless_shared_with_other_ops()
    {
        var proto = new OnnxGraphBuilder("flatten")
            .Input("x", "batch", 2, 3)
            .Output("y", "batch", 6)
            .Output("w", 1, 12)
            .Output("doubled", TensorProto.Types.DataType.Int64, 2)
            .Initializer("flat", [1L, -1L], 2)
            .Initializer("shared", [1L, 12L], 2)
            .Node("Reshape", ["x", "flat"], ["y"])
            .Node("Reshape", ["x", "shared"], ["w"])
            .Node("Add", ["shared", "shared"], ["doubled"])
            .BuildProto();

        var (edited, changed) = OnnxModelEditor.FollowBatchInReshapes(proto.ToByteArray());

        Assert.Equal(["reshape 'Reshape_0' target 'flat' [1,-1] -> [0,-1]"], changed);
        Assert.Equal([1L, 12L], OnnxModelEditor.ReadInt64s(OnnxModelEditor.FindInitializer(OnnxModelEditor.Parse(edited), "shared")!));
        using var session = new InferenceSession(edited);
        var y = Run(session, "x", Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), [2, 2, 3]).Single(r => r.Name == "y");
        Assert.Equal([2, 6], y.Shape);
    }

    [Theory]
    [MemberData(nameof(EmbeddedModels))]
    public void MakeBatchable_lets_every_embedded_model_run_a_batch_of_3_like_3_single_runs(string name)
    {
        var original = File.ReadAllBytes(TestAssets.Models.Require(name));
        var (edited, changed) = OnnxModelEditor.MakeBatchable(original);
        Assert.NotEmpty(changed);
        using var single = new InferenceSession(original);
        using var batched = new InferenceSession(edited);
        var (inputName, shape) = SingleInput(single);
        var samples = Enumerable.Range(0, 3).Select(i => RandomInput(shape, seed: 300 + i)).ToArray();
        var batchShape = shape.ToArray();
        batchShape[0] = 3;

        var results = Run(batched, inputName, samples.SelectMany(s => s).ToArray(), batchShape);

        for (var i = 0; i < 3; i++)
        {
            foreach (var expected in Run(single, inputName, samples[i], shape))
            {
                var actual = results.Single(r => r.Name == expected.Name);
                Assert.Equal(3, actual.Shape[0]);
                var slice = actual.Values.AsSpan(i * expected.Values.Length, expected.Values.Length).ToArray();
                Assert.All(expected.Values.Zip(slice), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-3f * (1 + Math.Abs(p.First)), $"{name} item {i}: {p.First} vs {p.Second}"));
            }
        }
    }

    [Fact]
    public void A_model_without_a_fixed_batch_is_returned_unchanged()
    {
        var model = new OnnxGraphBuilder("dynamic").Input("x", "b", 3).Output("y", "b", 3).Node("Identity", ["x"], ["y"]).Build();

        var (edited, changed) = OnnxModelEditor.MakeBatchDimensionSymbolic(model);

        Assert.Empty(changed);
        Assert.Same(model, edited);
    }

    [Fact]
    public void Reading_float_initializers_from_raw_and_typed_data()
    {
        var raw = OnnxGraphBuilder.FloatTensor("raw", [1.5f, -2f], 2);
        var typed = new TensorProto { Name = "typed", DataType = (int)TensorProto.Types.DataType.Float };
        typed.FloatData.Add([3f, 4f]);
        typed.Dims.Add(2);

        Assert.Equal([1.5f, -2f], OnnxModelEditor.ReadFloats(raw));
        Assert.Equal([3f, 4f], OnnxModelEditor.ReadFloats(typed));
        Assert.Equal(2, OnnxModelEditor.ElementCount(typed));
        var error = Assert.Throws<FaceSwapException>(() => OnnxModelEditor.ReadFloats(OnnxGraphBuilder.Int64Tensor("i", [1L], 1)));
        Assert.Equal(FaceSwapErrorKind.ModelContract, error.Kind);
    }

    /// <summary>
    /// Records, for each embedded model, whether it runs with batch 2 and 4 once its batch dimension is symbolic and
    /// gives the same outputs as batch-1 runs of the original. The expectations are what was measured.
    /// </summary>
    [Theory]
    [InlineData("fr_detect", false, true)]
    [InlineData("fr_landmark", false, true)]
    [InlineData("fr_feature", false, false)] // a Reshape to [1,-1] before its last layer: batch 2 gives [1,1024]
    [InlineData("fr_feature", true, true)]
    public void Symbolic_batch_on_an_embedded_model(string name, bool followBatchInReshapes, bool batches)
    {
        var original = File.ReadAllBytes(TestAssets.Models.Require(name));
        var (edited, changed) = OnnxModelEditor.MakeBatchDimensionSymbolic(original);
        output.WriteLine($"{name}: {string.Join("; ", changed)}");
        Assert.NotEmpty(changed);
        if (followBatchInReshapes)
        {
            (edited, var reshapes) = OnnxModelEditor.FollowBatchInReshapes(edited);
            output.WriteLine($"{name}: {string.Join("; ", reshapes)}");
            Assert.NotEmpty(reshapes);
        }

        using var single = new InferenceSession(original);
        using var batched = new InferenceSession(edited);
        var (inputName, shape) = SingleInput(single);
        foreach (var batch in new[] { 2, 4 })
        {
            var samples = Enumerable.Range(0, batch).Select(i => RandomInput(shape, seed: 100 + i)).ToArray();
            var batchShape = shape.ToArray();
            batchShape[0] = batch;
            string? failure = null;
            try
            {
                var results = Run(batched, inputName, samples.SelectMany(s => s).ToArray(), batchShape);
                for (var i = 0; i < batch && failure is null; i++)
                {
                    foreach (var expected in Run(single, inputName, samples[i], shape))
                    {
                        var actual = results.Single(r => r.Name == expected.Name);
                        if (actual.Shape[0] != batch || !actual.Shape.Skip(1).SequenceEqual(expected.Shape.Skip(1)))
                        {
                            failure = $"output '{expected.Name}' has shape [{string.Join(",", actual.Shape)}] for batch {batch}";
                            break;
                        }

                        var per = expected.Values.Length;
                        var slice = actual.Values.AsSpan(i * per, per).ToArray();
                        var worst = expected.Values.Zip(slice).Max(p => Math.Abs(p.First - p.Second) / (1e-3f + Math.Abs(p.First)));
                        if (worst > 1e-3f)
                        {
                            failure = $"output '{expected.Name}' of item {i} differs from its batch-1 run by {worst:0.####} (relative)";
                        }
                    }
                }
            }
            catch (OnnxRuntimeException e)
            {
                failure = $"batch {batch} fails in ONNX Runtime: {e.Message}";
            }

            output.WriteLine($"{name} batch {batch}: {failure ?? "same outputs as batch 1"}");
            if (batches)
            {
                Assert.Null(failure);
            }
            else
            {
                Assert.NotNull(failure);
            }
        }
    }

    internal sealed record Output(string Name, int[] Shape, float[] Values);

    internal static List<Output> Run(InferenceSession session, string input, float[] data, int[] shape)
    {
        var tensor = new DenseTensor<float>(data, shape);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, tensor)]);
        return results.Where(r => r.Value is Tensor<float>).Select(r =>
        {
            var t = r.AsTensor<float>();
            return new Output(r.Name, t.Dimensions.ToArray(), t.ToArray());
        }).ToList();
    }

    private static (string Name, int[] Shape) SingleInput(InferenceSession session)
    {
        var (name, meta) = session.InputMetadata.Single();
        return (name, meta.Dimensions.Select(d => d <= 0 ? 1 : d).ToArray());
    }

    private static float[] RandomInput(int[] shape, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, shape.Aggregate(1, (a, d) => a * d)).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }
}
