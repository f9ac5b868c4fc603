using System.Text.Json;

namespace FaceSwap.Deploy.Tests;

/// <summary>The client SDK's whole dependency graph, as NuGet restored it, holds no Orleans package.</summary>
[Trait("Category", "Deploy")]
public sealed class ClientDependencyTests
{
    [Fact]
    public void The_restored_graph_of_the_client_package_has_its_contracts_and_no_orleans_package()
    {
        var assets = Repository.PathOf("src/FaceSwap.Client/obj/project.assets.json");
        Assert.True(File.Exists(assets), $"{assets} is missing: restore the solution first (dotnet restore)");

        using var document = JsonDocument.Parse(File.ReadAllText(assets));
        var libraries = document.RootElement.GetProperty("libraries").EnumerateObject().Select(library => library.Name).ToList();

        Assert.Contains(libraries, name => name.StartsWith("FaceSwap.Contracts/", StringComparison.Ordinal));
        Assert.DoesNotContain(libraries, name => name.StartsWith("FaceSwap.Abstractions/", StringComparison.Ordinal));
        Assert.DoesNotContain(libraries, name => name.StartsWith("Microsoft.Orleans", StringComparison.OrdinalIgnoreCase));
    }
}
