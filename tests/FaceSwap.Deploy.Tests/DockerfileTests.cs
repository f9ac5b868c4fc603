using System.Text.RegularExpressions;

namespace FaceSwap.Deploy.Tests;

/// <summary>The silo images: the GPU image is built with the GPU ONNX Runtime and asks for the CUDA provider.</summary>
[Trait("Category", "Deploy")]
public sealed partial class DockerfileTests
{
    [Fact]
    public void The_gpu_image_builds_the_gpu_onnx_runtime_and_its_silo_asks_for_cuda()
    {
        var lines = Instructions("src/FaceSwap.Silo/Dockerfile.gpu");
        Assert.Contains("ARG ONNXRUNTIME_FLAVOR=Gpu", lines);
        Assert.Contains(lines, l => l.StartsWith("RUN dotnet publish src/FaceSwap.Silo/FaceSwap.Silo.csproj", StringComparison.Ordinal)
            && l.Contains("-p:OnnxRuntimeFlavor=${ONNXRUNTIME_FLAVOR}", StringComparison.Ordinal));

        // The setting is in the stage that runs (after the last FROM), where the silo reads its environment.
        var runtime = lines.Skip(lines.FindLastIndex(l => l.StartsWith("FROM ", StringComparison.Ordinal))).ToList();
        Assert.Equal("cuda", Environment(runtime)["FaceSwap__ExecutionProvider"]);
    }

    [Fact]
    public void The_cpu_image_asks_for_no_gpu_provider()
    {
        var lines = Instructions("src/FaceSwap.Silo/Dockerfile");
        Assert.DoesNotContain(lines, l => l.Contains("FaceSwap__ExecutionProvider", StringComparison.Ordinal));
    }

    /// <summary>The Dockerfile's instructions, continuation lines joined and comments left out.</summary>
    private static List<string> Instructions(string relative)
    {
        var joined = string.Join('\n', File.ReadAllLines(Repository.PathOf(relative)).Where(l => !l.TrimStart().StartsWith('#')));
        return [.. Continuation().Replace(joined, " ").Split('\n').Select(l => Spaces().Replace(l.Trim(), " ")).Where(l => l.Length > 0)];
    }

    /// <summary>The variables the ENV instructions of <paramref name="stage"/> set (KEY=VALUE form).</summary>
    private static Dictionary<string, string> Environment(IEnumerable<string> stage) =>
        stage.Where(l => l.StartsWith("ENV ", StringComparison.Ordinal))
            .SelectMany(l => l[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1]);

    [GeneratedRegex(@"\\\s*\n")]
    private static partial Regex Continuation();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
