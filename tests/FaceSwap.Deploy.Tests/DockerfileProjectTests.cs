namespace FaceSwap.Deploy.Tests;

/// <summary>The images restore before copying the sources: every source project's csproj must be in that first layer.</summary>
[Trait("Category", "Deploy")]
public sealed class DockerfileProjectTests
{
    [Theory]
    [InlineData("src/FaceSwap.Silo/Dockerfile")]
    [InlineData("src/FaceSwap.Silo/Dockerfile.gpu")]
    public void Every_source_project_file_is_copied_before_the_restore(string dockerfile)
    {
        var lines = File.ReadAllLines(Repository.PathOf(dockerfile));
        var restore = Array.FindIndex(lines, line => line.StartsWith("RUN dotnet restore", StringComparison.Ordinal));
        Assert.True(restore > 0, $"{dockerfile} has no restore step");
        var copied = lines.Take(restore).Where(line => line.StartsWith("COPY src/", StringComparison.Ordinal))
            .Select(line => line.Split(' ')[1]).ToHashSet();

        var projects = Directory.GetFiles(Repository.PathOf("src"), "*.csproj", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Select(path => "src/" + Path.GetRelativePath(Repository.PathOf("src"), path).Replace('\\', '/'));
        Assert.All(projects, project => Assert.Contains(project, copied));
    }
}
