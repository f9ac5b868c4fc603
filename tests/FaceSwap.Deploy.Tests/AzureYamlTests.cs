using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace FaceSwap.Deploy.Tests;

/// <summary>azure.yaml: the two services azd builds and deploys, and the `up` workflow that rolls images out.</summary>
[Trait("Category", "Deploy")]
public sealed class AzureYamlTests
{
    private static readonly YamlMappingNode Document = Load();

    [Fact]
    public void Names_the_application_and_the_bicep_infrastructure()
    {
        Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", Scalar(Document, "name"));
        var infra = Mapping(Document, "infra");
        Assert.Equal("bicep", Scalar(infra, "provider"));
        Assert.True(File.Exists(Repository.PathOf($"{Scalar(infra, "path")}/{Scalar(infra, "module")}.bicep")));
        Assert.True(File.Exists(Repository.PathOf($"{Scalar(infra, "path")}/{Scalar(infra, "module")}.parameters.json")));
    }

    [Theory]
    [InlineData("api", "Dockerfile")]
    [InlineData("inference", "Dockerfile.gpu")]
    public void Service_builds_the_silo_project_from_its_dockerfile_with_the_repository_root_as_context(string service, string dockerfile)
    {
        var config = Mapping(Mapping(Document, "services"), service);
        Assert.Equal("containerapp", Scalar(config, "host"));
        Assert.Equal("dotnet", Scalar(config, "language"));

        // azd resolves the project against the repository root and docker.path and docker.context against the project.
        var project = Repository.PathOf(Scalar(config, "project"));
        Assert.True(Directory.Exists(project), $"project folder {project}");
        Assert.Equal(Repository.PathOf("src/FaceSwap.Silo"), project);
        Assert.True(File.Exists(Path.Combine(project, "FaceSwap.Silo.csproj")));

        var docker = Mapping(config, "docker");
        var dockerfilePath = Path.GetFullPath(Path.Combine(project, Scalar(docker, "path")));
        Assert.True(File.Exists(dockerfilePath), $"Dockerfile {dockerfilePath}");
        Assert.Equal(dockerfile, Path.GetFileName(dockerfilePath));
        var context = Path.GetFullPath(Path.Combine(project, Scalar(docker, "context")));
        Assert.Equal(Repository.Root.TrimEnd(Path.DirectorySeparatorChar), context.TrimEnd(Path.DirectorySeparatorChar));
        Assert.True(File.Exists(Path.Combine(context, ".dockerignore")));
    }

    [Fact]
    public void Has_exactly_the_api_and_inference_services()
    {
        var names = Mapping(Document, "services").Children.Keys.Select(k => ((YamlScalarNode)k).Value ?? "").Order().ToArray();
        Assert.Equal(["api", "inference"], names);
    }

    [Fact]
    public void Up_workflow_provisions_again_after_the_deploy_so_every_inference_silo_gets_the_pushed_image()
    {
        var steps = ((YamlSequenceNode)Mapping(Document, "workflows")["up"]).Children
            .Select(step => Scalar((YamlMappingNode)step, "azd"))
            .ToArray();
        Assert.Equal(["package --all", "provision", "deploy --all", "provision"], steps);
    }

    [Theory]
    [InlineData("Dockerfile", "mcr.microsoft.com/dotnet/aspnet:")]
    [InlineData("Dockerfile.gpu", "CUDA_IMAGE=nvidia/cuda:13.")]
    public void Dockerfiles_publish_the_silo_run_as_non_root_and_bake_the_verified_models_in(string dockerfile, string runtimeBase)
    {
        var text = File.ReadAllText(Repository.PathOf($"src/FaceSwap.Silo/{dockerfile}"));
        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:", text, StringComparison.Ordinal);
        Assert.Contains(runtimeBase, text, StringComparison.Ordinal);
        Assert.Contains("dotnet publish src/FaceSwap.Silo/FaceSwap.Silo.csproj", text, StringComparison.Ordinal);
        Assert.Contains("models pull --models /models", text, StringComparison.Ordinal);
        Assert.Contains("libgtk-3-0", text, StringComparison.Ordinal);
        Assert.Contains("libfontconfig1", text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^USER \S+", text);
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"FaceSwap.Silo.dll\"]", text, StringComparison.Ordinal);
        if (dockerfile.EndsWith(".gpu", StringComparison.Ordinal))
        {
            Assert.Contains("-p:OnnxRuntimeFlavor=${ONNXRUNTIME_FLAVOR}", text, StringComparison.Ordinal);
            Assert.Contains("ARG ONNXRUNTIME_FLAVOR=Gpu", text, StringComparison.Ordinal);
            Assert.Contains("cudnn-runtime-ubuntu24.04", text, StringComparison.Ordinal);
        }

        // Every file the Dockerfile copies from the context exists and is not excluded by .dockerignore.
        var ignored = DockerIgnorePatterns();
        foreach (var source in CopiedPaths(text))
        {
            Assert.True(File.Exists(Repository.PathOf(source)) || Directory.Exists(Repository.PathOf(source)), $"{dockerfile} copies {source}, which does not exist");
            var path = source.TrimEnd('/');
            Assert.False(ignored.Any(p => p.IsMatch(path)), $"{dockerfile} copies {source}, which .dockerignore excludes");
        }
    }

    [Fact]
    public void Dockerignore_keeps_build_outputs_and_local_weights_out_of_the_context()
    {
        var ignored = DockerIgnorePatterns();
        foreach (var path in new[] { "src/FaceSwap.Silo/bin", "src/FaceSwap.Silo/obj", ".git", "models/fr_detect.onnx", "tests" })
        {
            Assert.True(ignored.Any(p => p.IsMatch(path)), $".dockerignore lets {path} into the context");
        }
    }

    // .dockerignore lines as regular expressions over context paths: a match excludes the path and everything below it.
    private static List<Regex> DockerIgnorePatterns() =>
        File.ReadAllLines(Repository.PathOf(".dockerignore"))
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#') && !line.StartsWith('!'))
            .Select(line => line.TrimEnd('/'))
            .Select(glob => new Regex(
                "^" + Regex.Escape(glob).Replace(@"\*\*/", "(.*/)?", StringComparison.Ordinal).Replace(@"\*", "[^/]*", StringComparison.Ordinal) + "(/.*)?$"))
            .ToList();

    private static IEnumerable<string> CopiedPaths(string dockerfile) =>
        dockerfile.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.StartsWith("COPY ", StringComparison.Ordinal) && !line.StartsWith("COPY --from", StringComparison.Ordinal))
            .SelectMany(line =>
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return parts[1..^1];
            });

    private static YamlMappingNode Load()
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Repository.PathOf("azure.yaml"));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static YamlMappingNode Mapping(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlMappingNode mapping
            ? mapping
            : throw new Xunit.Sdk.XunitException($"azure.yaml: no mapping '{key}'");

    private static string Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode { Value: { } text }
            ? text
            : throw new Xunit.Sdk.XunitException($"azure.yaml: no value '{key}'");
}
