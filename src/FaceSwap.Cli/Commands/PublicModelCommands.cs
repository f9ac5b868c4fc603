using FaceSwap.Engine.Models;
using FaceSwap.ModelStore;
using Spectre.Console;

namespace FaceSwap.Cli.Commands;

/// <summary>The public (user-supplied) models in `faceswap models list` and `faceswap models pull NAME`.</summary>
public static class PublicModelCommands
{
    /// <summary>Adds a row per public model: optional ones that are missing are shown as such, not as errors.</summary>
    public static void AddRows(ModelDirectory directory, Table table)
    {
        foreach (var model in directory.Catalog.Public)
        {
            var shown = directory.Check(model) switch
            {
                ModelState.Present when model.Sha256 is null => "[green]present[/] (no sha256 on record)",
                ModelState.Present => "[green]present[/]",
                ModelState.Missing => "[grey]not installed (optional)[/]",
                _ => "[red]corrupt[/]",
            };
            var size = model.Size is { } bytes ? $"{bytes / 1024.0 / 1024.0:0.0} MiB" : "?";
            table.AddRow(Markup.Escape(model.Name), Markup.Escape(model.File), model.Role, size, Markup.Escape(model.Licence), shown);
        }
    }

    /// <summary>Downloads one public model, or says where to put it when the download is not possible.</summary>
    public static async Task<int> PullAsync(ModelDirectory directory, string name, CancellationToken ct)
    {
        if (directory.Catalog.Models.Any(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new CliException($"{name} is an embedded default model: run `faceswap models pull` without a name", ExitCodes.Usage);
        }

        if (!directory.Catalog.Public.Any(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new CliException($"no public model named '{name}': use one of {string.Join(", ", directory.Catalog.Public.Select(m => m.Name))}", ExitCodes.Usage);
        }

        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15) }) { Timeout = Timeout.InfiniteTimeSpan };
        var outcome = await PublicModelPuller.PullAsync(directory, name, http, message => Console.Error.WriteLine(message), ct);
        var verified = outcome.Model.Sha256 is null ? "no sha256 on record: only the size (where known) and, at first use, the signature are checked" : "sha256 verified";
        Console.WriteLine($"{outcome.Model.File}: {outcome.Action} ({verified})");
        Console.WriteLine($"models in {directory.Path}");
        return ExitCodes.Success;
    }
}
