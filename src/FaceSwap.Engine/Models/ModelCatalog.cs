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

    private sealed class ManifestDocument
    {
        [JsonPropertyName("models")]
        public List<ModelEntry>? Models { get; set; }

        [JsonPropertyName("public")]
        public List<ModelEntry>? Public { get; set; }
    }
}
