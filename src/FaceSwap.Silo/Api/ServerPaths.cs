using FaceSwap.Abstractions.Jobs;
using FaceSwap.Grains.Hosting;
using FaceSwap.ModelStore;
using FaceSwap.Storage;
using Microsoft.Extensions.Options;

namespace FaceSwap.Silo.Api;

/// <summary>
/// Takes the server's own folders (the models folder, a local storage root) out of error text before it leaves the API:
/// a caller learns what is wrong ("inswapper_128.onnx is missing from the server's models folder"), not where the
/// server keeps its files. The silo's logs and the CLI, which runs on the caller's own machine, keep the full paths.
/// </summary>
public sealed class ServerPaths
{
    private readonly (string Path, string Name)[] folders;

    /// <summary>Reads the folders from the silo's settings and its blob store.</summary>
    public ServerPaths(IOptions<FaceSwapSiloOptions> silo, IBlobStore store)
    {
        var known = new List<(string, string)> { (ModelFolder.Resolve(silo.Value.ModelsPath), "the server's models folder") };
        if (store is LocalBlobStore local)
        {
            known.Add((Path.GetFullPath(local.RootDirectory), "the server's storage folder"));
        }

        // Longest first, so a folder inside another is named for itself.
        folders = known.Select(f => (Path: f.Item1.TrimEnd(Path.DirectorySeparatorChar), Name: f.Item2))
            .Where(f => f.Path.Length > 1).OrderByDescending(f => f.Path.Length).ToArray();
    }

    /// <summary>The text with each server folder replaced by what it is.</summary>
    public string? Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        foreach (var (path, name) in folders)
        {
            text = text.Replace(path, name, StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>A job status as a caller may see it: its error without server folders.</summary>
    public JobStatus Redact(JobStatus status) =>
        status.Error is null ? status : status with { Error = Redact(status.Error) };
}
