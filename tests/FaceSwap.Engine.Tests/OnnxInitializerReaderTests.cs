using FaceSwap.Engine.Onnx;

namespace FaceSwap.Engine.Tests;

/// <summary>
/// Reading inswapper_128's emap (the last initializer) by streaming the protobuf instead of parsing the whole graph.
/// </summary>
public sealed class OnnxInitializerReaderTests : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("faceswap-initializer-");

    [Fact]
    public void The_last_initializer_is_the_one_a_full_parse_gives()
    {
        var model = new OnnxGraphBuilder("several")
            .Input("x", 1, 4)
            .Output("y", 1, 4)
            .Initializer("first", [1f, 2f, 3f, 4f], 4)
            .Initializer("shape", [1L, 4L], 2)
            .Node("Mul", ["x", "first"], ["m"])
            .Node("Reshape", ["m", "shape"], ["r"])
            .Initializer("last", [5f, 6f, 7f, 8f, 9f, 10f], 2, 3)
            .Node("Identity", ["r"], ["y"])
            .Build();
        var path = Write("several.onnx", model);

        var streamed = OnnxInitializerReader.ReadLast(path);

        Assert.Equal(OnnxModelEditor.Parse(model).Graph.Initializer[^1], streamed);
        Assert.Equal([5f, 6f, 7f, 8f, 9f, 10f], OnnxModelEditor.ReadFloats(streamed!));
    }

    [Fact]
    public void A_graph_without_initializers_gives_null_and_a_file_that_is_not_protobuf_is_corrupt()
    {
        var bare = new OnnxGraphBuilder("bare").Input("x", 1).Output("y", 1).Node("Identity", ["x"], ["y"]).Build();
        Assert.Null(OnnxInitializerReader.ReadLast(Write("bare.onnx", bare)));

        var error = Assert.Throws<FaceSwapException>(() => OnnxInitializerReader.ReadLast(Write("text.onnx", "this is not a model, just text"u8.ToArray())));
        Assert.Equal(FaceSwapErrorKind.ModelCorrupt, error.Kind);
    }

    [Fact]
    public void The_emap_of_a_stand_in_the_size_of_the_public_inswapper_is_read_without_loading_the_file()
    {
        // The public inswapper_128.onnx is 554,253,681 bytes; the old code parsed all of it (about 1.7 GB at peak).
        var path = Path.Combine(folder.FullName, "inswapper_128.onnx");
        PublicModelStandIns.WriteLargeInswapper(path, 554_253_681);
        Assert.InRange(new FileInfo(path).Length, 554_000_000, 554_253_681);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var emap = OnnxInitializerReader.ReadLast(path);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal([512L, 512L], emap!.Dims);
        Assert.Equal(PublicModelStandIns.ShiftEmap(), OnnxModelEditor.ReadFloats(emap));
        Assert.True(allocated < 8L << 20, $"reading the emap allocated {allocated:N0} bytes");
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(folder.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose() => folder.Delete(recursive: true);
}
