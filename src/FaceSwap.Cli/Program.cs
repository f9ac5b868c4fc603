using System.CommandLine;
using FaceSwap.Cli;
using FaceSwap.Cli.Commands;

var root = new RootCommand("faceswap: batch face swapping on Orleans")
{
    CommonOptions.Models,
    ModelsCommand.Create(),
    SwapCommand.Create(),
    RunCommand.Create(),
    ServeCommand.Create(),
    KeysCommand.Create(),
    BenchCommand.Create(),
    VerifyCommand.Create(),
    RemoteCommands.Submit(),
    RemoteCommands.Status(),
    RemoteCommands.Watch(),
    RemoteCommands.Cancel(),
    RemoteCommands.Retry(),
    RemoteCommands.Results(),
    RemoteCommands.Jobs(),
};

if (args.Length == 0)
{
    await root.Parse(["--help"]).InvokeAsync();
    return ExitCodes.Usage;
}

// A command line that does not parse (an unknown option, a value out of range) is a usage error: one line per problem
// naming the option, exit code 4, before anything starts.
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine($"error: {error.Message}");
    }

    return ExitCodes.Usage;
}

// Ctrl+C and SIGTERM cancel the command's token (jobs stop after the images in flight); without a termination
// timeout System.CommandLine 2.0.0 leaves the process to be killed by the signal before the command sees it.
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10) });
