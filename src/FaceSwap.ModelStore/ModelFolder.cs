using FaceSwap.Engine.Models;

namespace FaceSwap.ModelStore;

/// <summary>Where the model folder and the shipped manifest are, for hosts and commands that are not told.</summary>
public static class ModelFolder
{
    /// <summary>Environment variable naming the model folder.</summary>
    public const string EnvironmentVariable = "FACESWAP_MODELS";

    /// <summary>
    /// The model folder: the explicit option, else FACESWAP_MODELS, else the repository's models/ folder,
    /// else ~/.faceswap/models.
    /// </summary>
    public static string Resolve(string? explicitPath)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return Path.GetFullPath(explicitPath);
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Path.GetFullPath(fromEnvironment);
        }

        var repo = RepositoryLocator.FindRoot();
        return repo is not null
            ? Path.Combine(repo, "models")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".faceswap", "models");
    }

    /// <summary>Opens the resolved model folder with the shipped manifest.</summary>
    public static ModelDirectory Open(string? explicitPath)
    {
        var path = Resolve(explicitPath);
        return new ModelDirectory(path, ModelCatalog.Load(DefaultManifestPath())) { IsDefaultLocation = path == Resolve(null) };
    }

    /// <summary>
    /// The manifest the program ships with: next to the executable (copied at build), else in the repository's models/ folder.
    /// </summary>
    public static string DefaultManifestPath()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "models", ModelCatalog.ManifestFileName);
        if (File.Exists(beside))
        {
            return beside;
        }

        var repo = RepositoryLocator.FindRoot();
        return repo is null ? beside : Path.Combine(repo, "models", ModelCatalog.ManifestFileName);
    }
}
