using System.CommandLine;
using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Imaging;
using FaceSwap.Grains.Batch;
using FaceSwap.Storage;

namespace FaceSwap.Cli.Commands;

/// <summary>`--source` (one image, several, or a folder of one person) and `--sources-mode set|each`.</summary>
public static class SourceArguments
{
    /// <summary>--source, repeatable.</summary>
    public static Option<string[]> Source(string description) => new("--source")
    {
        Description = description,
        Required = true,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>--sources-mode set|each.</summary>
    public static Option<string> Mode() => new Option<string>("--sources-mode")
    {
        Description = "set: the sources are photos of one person, the closest head pose is used per face; each: every source (an image, or a subfolder of one person) against every target, outputs in OUT/<source-name>/",
        DefaultValueFactory = _ => "set",
    }.AcceptOnlyFromAmong("set", "each");

    /// <summary>Parses a --sources-mode value.</summary>
    public static SourcesMode ParseMode(string value) => value == "each" ? SourcesMode.Each : SourcesMode.Set;

    /// <summary>The image files of a local --source value: the file, or a folder's images (recursively, sorted).</summary>
    public static IReadOnlyList<string> LocalImages(string value)
    {
        if (File.Exists(value))
        {
            return [Path.GetFullPath(value)];
        }

        if (!Directory.Exists(value))
        {
            throw new CliException($"source '{value}' does not exist", ExitCodes.NotFound);
        }

        var images = Directory.EnumerateFiles(value, "*", SearchOption.AllDirectories)
            .Where(f => ImageCodec.ReadableExtensions.Contains(Path.GetExtension(f)))
            .Select(Path.GetFullPath)
            .Order(StringComparer.Ordinal)
            .ToList();
        return images.Count > 0 ? images : throw new CliException($"source folder '{value}' has no images (.jpg .jpeg .png .bmp .webp)", ExitCodes.NotFound);
    }

    /// <summary>
    /// A job's source and sources for `faceswap run`. One image in set mode keeps the single-source job (its outputs
    /// match those of earlier runs). Otherwise every image and folder becomes an entry of <see cref="JobSpec.Sources"/>:
    /// in set mode a folder is a prefix of one person's photos; in each mode a folder's images are one source each and
    /// its subfolders one source set each. With blob storage, folders are container/prefixes in the account.
    /// </summary>
    public static async Task<(string Source, IReadOnlyList<string>? Sources)> ResolveAsync(
        string[] values, SourcesMode mode, bool local, IBlobStore store, Func<string, Task<string>> resolveFile, CancellationToken cancellationToken)
    {
        if (values.Length == 1 && mode == SourcesMode.Set && (!local || File.Exists(values[0])) && !values[0].EndsWith('/'))
        {
            return (await resolveFile(values[0]), null);
        }

        var entries = new List<string>();
        foreach (var value in values)
        {
            if (local && Directory.Exists(value))
            {
                var folder = Path.GetFullPath(value).TrimStart('/').TrimEnd('/') + "/";
                if (mode == SourcesMode.Set)
                {
                    entries.Add(folder);
                    continue;
                }

                entries.AddRange(Directory.EnumerateFiles(value).Where(f => ImageCodec.ReadableExtensions.Contains(Path.GetExtension(f)))
                    .Select(f => Path.GetFullPath(f).TrimStart('/')).Order(StringComparer.Ordinal));
                entries.AddRange(Directory.EnumerateDirectories(value).Where(d => Path.GetFileName(d) != JobFiles.Folder)
                    .Select(d => Path.GetFullPath(d).TrimStart('/').TrimEnd('/') + "/").Order(StringComparer.Ordinal));
            }
            else if (!local && value.EndsWith('/'))
            {
                entries.Add(value.Trim('/') + "/");
            }
            else
            {
                entries.Add(await resolveFile(value));
            }
        }

        if (SourceMatrix.Problem(entries, mode) is { } problem)
        {
            throw new CliException($"--source: {problem}");
        }

        var first = await SourceMatrix.FirstImageAsync(store, entries, cancellationToken)
            ?? throw new CliException("--source: no image found in the sources", ExitCodes.NotFound);
        return (first, entries);
    }
}
