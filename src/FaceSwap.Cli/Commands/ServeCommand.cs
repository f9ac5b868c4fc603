using System.CommandLine;
using System.Security.Cryptography;
using FaceSwap.Engine.Models;
using FaceSwap.Grains.Hosting;
using FaceSwap.Grains.Placement;
using FaceSwap.ModelStore;
using FaceSwap.Silo.Hosting;
using FaceSwap.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Cli.Commands;

/// <summary>`faceswap serve`: a silo host with the REST API and the web page.</summary>
public static class ServeCommand
{
    private static readonly Option<string> Urls = new("--urls") { Description = "Addresses to listen on", DefaultValueFactory = _ => "http://localhost:5000" };
    private static readonly Option<string> Storage = new("--storage")
    {
        Description = "local:FOLDER (containers inbox, outbox, state are its subfolders), or a storage connection string to join that account's cluster",
        DefaultValueFactory = _ => "local:" + Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".faceswap", "data"),
    };
    private static readonly Option<string> Role = new Option<string>("--role") { Description = "What this silo runs", DefaultValueFactory = _ => SiloRoles.Both }
        .AcceptOnlyFromAmong(SiloRoles.Api, SiloRoles.Inference, SiloRoles.Both);
    private static readonly Option<int> Concurrency = CommonOptions.Concurrency();

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("serve", "Run a silo with the REST API and the web page (Ctrl+C stops it; jobs resume on the next start)")
        {
            Urls, Storage, Role, Concurrency,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(() => RunAsync(parse, ct)));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var storage = parse.GetValue(Storage)!.Trim();
        var role = parse.GetValue(Role)!;
        string? modelsPath = null;
        if (SiloRoles.RunsInference(role))
        {
            var models = ModelFolder.Open(parse.GetValue(CommonOptions.Models));
            foreach (var model in models.Catalog.Models)
            {
                models.Require(model.Name);
            }

            modelsPath = models.Path;
        }

        if (!StorageSetting.TryParse(storage, out var setting, out var notUnderstood))
        {
            throw new CliException($"--storage: {notUnderstood}");
        }

        string? root = null;
        if (setting.NamesFolder)
        {
            root = Path.GetFullPath(setting.LocalRoot!);
            foreach (var container in new[] { "inbox", "outbox", "state" })
            {
                Directory.CreateDirectory(Path.Combine(root, container));
            }

            storage = "local:" + root;
        }
        else if (setting.IsLocal)
        {
            throw new CliException("serve needs a storage root: --storage local:FOLDER");
        }

        var urls = parse.GetValue(Urls)!;
        List<string> args = ["--urls", urls, "--FaceSwap:Storage=" + storage, "--FaceSwap:Role=" + role, "--FaceSwap:Concurrency=" + parse.GetValue(Concurrency)];
        if (modelsPath is not null)
        {
            args.Add("--FaceSwap:ModelsPath=" + modelsPath);
        }

        string? generatedKey = null;
        await using var app = Build([.. args], key => generatedKey = key);
        try
        {
            await FaceSwapHost.StartAsync(app, cancellationToken);
        }
        catch (InvalidConfigurationException e)
        {
            throw new CliException(e.Message);
        }

        var address = app.Urls.FirstOrDefault() ?? urls;
        Console.WriteLine($"FaceSwap.Orleans is serving on {address} (role {role})");
        Console.WriteLine(root is not null
            ? $"  storage: {root} (containers: inbox, outbox, state; paths look like inbox/photos/)"
            : "  storage: the storage account's containers");
        if (generatedKey is not null)
        {
            Console.WriteLine($"  admin key for this run: {generatedKey}");
            Console.WriteLine($"  web page: {address.TrimEnd('/')}/#key={generatedKey}");
        }
        else
        {
            Console.WriteLine($"  web page: {address.TrimEnd('/')}/ (enter your API key)");
        }

        Console.WriteLine("  Ctrl+C stops; unfinished jobs resume when it starts again");
        await app.WaitForShutdownAsync(cancellationToken);

        return ExitCodes.Success;
    }

    /// <summary>The host with the command's logging; when no key is configured, one is made up and reported.</summary>
    private static WebApplication Build(string[] args, Action<string> onGeneratedKey) =>
        FaceSwapHost.Build(args, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.AddFilter((category, level) =>
                level >= (category?.StartsWith("FaceSwap", StringComparison.Ordinal) == true ? LogLevel.Information : LogLevel.Warning));

            // Logs on stderr; stdout carries only what the command itself says (address, key), for scripts to read.
            builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

            // The silo's note that server GC is off is advice for dedicated servers, not for a command on a workstation.
            builder.Logging.AddFilter("Orleans.Runtime.Silo", LogLevel.Error);
            var hasKeys = builder.Configuration.GetSection("Api:Keys").GetChildren().Any()
                || !string.IsNullOrEmpty(builder.Configuration["FACESWAP_ADMIN_KEY"])
                || !string.IsNullOrEmpty(builder.Configuration["Api:Jwt:Authority"]);
            if (!hasKeys)
            {
                // Nobody configured a key: make one up for this run, like a notebook server's token.
                var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                builder.Configuration.AddInMemoryCollection([new("FACESWAP_ADMIN_KEY", key)]);
                onGeneratedKey(key);
            }
        });
}
