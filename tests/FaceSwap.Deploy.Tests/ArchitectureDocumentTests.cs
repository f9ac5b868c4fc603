using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace FaceSwap.Deploy.Tests;

/// <summary>docs/architecture.md's table "Who may reference whom" against the project references the csproj files declare.</summary>
[Trait("Category", "Deploy")]
public sealed partial class ArchitectureDocumentTests
{
    [Fact]
    public void The_documented_references_are_exactly_the_references_of_every_source_project()
    {
        var documented = DocumentedReferences();
        var declared = Directory.GetFiles(Repository.PathOf("src"), "*.csproj", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .ToDictionary(path => Path.GetFileNameWithoutExtension(path), DeclaredReferences);

        Assert.Equal(declared.Keys.Order(), documented.Keys.Order());
        foreach (var (project, references) in declared)
        {
            Assert.True(
                documented[project].SetEquals(references),
                $"{project}: the csproj references [{string.Join(", ", references.Order())}], docs/architecture.md says [{string.Join(", ", documented[project].Order())}]");
        }
    }

    [Fact]
    public void The_readme_links_to_the_architecture_in_the_repository()
    {
        var readme = File.ReadAllText(Repository.PathOf("README.md"));
        Assert.Contains("(docs/architecture.md)", readme);
        Assert.DoesNotContain("../shared/", readme);
    }

    private static Dictionary<string, HashSet<string>> DocumentedReferences()
    {
        var lines = File.ReadAllLines(Repository.PathOf("docs/architecture.md"));
        var heading = Array.FindIndex(lines, line => line.StartsWith("## Who may reference whom", StringComparison.Ordinal));
        Assert.True(heading >= 0, "docs/architecture.md has no section \"Who may reference whom\"");

        var table = lines.Skip(heading + 1)
            .SkipWhile(line => !line.StartsWith("| project | references |", StringComparison.Ordinal))
            .Skip(2)
            .TakeWhile(line => line.StartsWith('|'));
        var result = new Dictionary<string, HashSet<string>>();
        foreach (var row in table)
        {
            var cells = row.Trim('|').Split('|');
            var project = ProjectName().Match(cells[0]).Value;
            result[project] = ProjectName().Matches(cells[1]).Select(match => match.Value).ToHashSet();
        }

        Assert.NotEmpty(result);
        return result;
    }

    private static HashSet<string> DeclaredReferences(string csproj) =>
        XDocument.Load(csproj).Descendants("ProjectReference")
            .Select(reference => Path.GetFileNameWithoutExtension(reference.Attribute("Include")!.Value.Replace('\\', '/')))
            .ToHashSet();

    [GeneratedRegex(@"FaceSwap\.[A-Za-z]+")]
    private static partial Regex ProjectName();
}
