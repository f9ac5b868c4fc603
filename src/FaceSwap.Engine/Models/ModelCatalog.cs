using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceSwap.Engine.Models;

/// <summary>
/// One model of models/models.json. <paramref name="Sha256"/> and <paramref name="Size"/> are null where no
/// trustworthy figure is recorded (then only the signature is checked); <paramref name="Url"/> is where a public
/// model is downloaded from.
/// </summary>
public sealed record ModelEntry(
    string Name,
    string File,
    string Role,
    string? Sha256,
    long? Size,
    string Licence,
    string? Package,
    string? Contract,
    string? Url = null,
    string? Note = null);

/// <summary>The model manifest, models/models.json: what each model is and how to verify it.</summary>
public sealed class ModelCatalog
{
    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true };

    /// <summary>The file name of the manifest.</summary>
    public const string ManifestFileName = "models.json";

    /// <summary>The embedded default models (every one is needed).</summary>
    public required IReadOnlyList<ModelEntry> Models { get; init; }

    /// <summary>Optional public models a user may supply (needed only when a job selects them).</summary>
    public IReadOnlyList<ModelEntry> Public { get; init; } = [];

    /// <summary>The model with this name, embedded or public; throws when the manifest has none.</summary>
    public ModelEntry Get(string name) =>
        Models.Concat(Public).FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"models.json has no model named '{name}'", nameof(name));

    /// <summary>Reads a manifest file.</summary>
    public static ModelCatalog Load(string manifestPath)
    {
        var doc = JsonSerializer.Deserialize<ManifestDocument>(File.ReadAllText(manifestPath), JsonOptions)
            ?? throw new InvalidDataException($"{manifestPath} is empty");
        return new ModelCatalog { Models = doc.Models ?? [], Public = doc.Public ?? [] };
    }

    /// <summary>
    /// The manifest the program ships with: next to the executable (copied at build), else in the repository's models/ folder.
    /// </summary>
    public static string DefaultManifestPath()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "models", ManifestFileName);
        if (File.Exists(beside))
        {
            return beside;
        }

        var repo = RepositoryLocator.FindRoot();
        return repo is null ? beside : Path.Combine(repo, "models", ManifestFileName);
    }

    private sealed class ManifestDocument
    {
        [JsonPropertyName("models")]
        public List<ModelEntry>? Models { get; set; }

        [JsonPropertyName("public")]
        public List<ModelEntry>? Public { get; set; }
    }
}

/// <summary>Finds the repository this program was built from, if it runs from one.</summary>
public static class RepositoryLocator
{
    /// <summary>The folder holding FaceSwap.Orleans.sln above the executable or the working directory, or null.</summary>
    public static string? FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "FaceSwap.Orleans.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }
}
