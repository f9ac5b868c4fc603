using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace FaceSwap.Engine.Models;

/// <summary>Whether a model file is usable.</summary>
public enum ModelState { Present, Missing, Corrupt }

/// <summary>The folder model weights live in, and the checks that they are the files the manifest names.</summary>
public sealed class ModelDirectory
{
    private readonly ConcurrentDictionary<string, (long Size, DateTime Written, bool Valid)> verified = new();

    /// <summary>Creates a model directory over a folder and a manifest.</summary>
    public ModelDirectory(string path, ModelCatalog catalog)
    {
        Path = System.IO.Path.GetFullPath(path);
        Catalog = catalog;
    }

    /// <summary>The folder's absolute path.</summary>
    public string Path { get; }

    /// <summary>The manifest.</summary>
    public ModelCatalog Catalog { get; }

    /// <summary>
    /// Whether this is the folder the program finds by itself (then the fix in an error needs no <c>--models</c>).
    /// </summary>
    public bool IsDefaultLocation { get; init; }

    /// <summary>Full path of a model's file.</summary>
    public string FileOf(ModelEntry model) => System.IO.Path.Combine(Path, model.File);

    /// <summary>Checks a model's file against the manifest's size and sha256 (the hash is cached per file version).</summary>
    public ModelState Check(ModelEntry model)
    {
        var file = new FileInfo(FileOf(model));
        if (!file.Exists)
        {
            return ModelState.Missing;
        }

        if (model.Size is { } size && file.Length != size)
        {
            return ModelState.Corrupt;
        }

        if (model.Sha256 is null)
        {
            return ModelState.Present;
        }

        var key = file.FullName;
        if (verified.TryGetValue(key, out var cached) && cached.Size == file.Length && cached.Written == file.LastWriteTimeUtc)
        {
            return cached.Valid ? ModelState.Present : ModelState.Corrupt;
        }

        var valid = string.Equals(Sha256Of(file.FullName), model.Sha256, StringComparison.OrdinalIgnoreCase);
        verified[key] = (file.Length, file.LastWriteTimeUtc, valid);
        return valid ? ModelState.Present : ModelState.Corrupt;
    }

    /// <summary>The path of a verified model, or an error that names the file and the command that fixes it.</summary>
    public string Require(string name)
    {
        var model = Catalog.Get(name);
        var fix = model.Package is null && model.Url is not null
            ? $"run `faceswap models pull {model.Name}` or: {ByHand(model)}"
            : $"run `faceswap models pull{(IsDefaultLocation ? string.Empty : $" --models {Path}")}`";
        return Check(model) switch
        {
            ModelState.Present => FileOf(model),
            ModelState.Missing => throw new FaceSwapException(FaceSwapErrorKind.ModelMissing,
                $"model {model.File} is missing from {Path}: {fix}"),
            _ => throw new FaceSwapException(FaceSwapErrorKind.ModelCorrupt,
                $"model {FileOf(model)} does not match its sha256 in models.json (corrupt or a different file): {fix} to replace it"),
        };
    }

    /// <summary>How to install a public model by hand, without a download from this program.</summary>
    public string ByHand(ModelEntry model) =>
        $"Download {model.File}{(model.Url is null ? string.Empty : $" from {model.Url}")} on a machine with internet access and put it at {FileOf(model)} " +
        "(or point --models / FACESWAP_MODELS at the folder holding it); `faceswap models list` then shows it as present.";

    /// <summary>Hex sha256 of a file.</summary>
    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
