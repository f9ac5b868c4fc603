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

// Ctrl+C and SIGTERM cancel the command's token: a job stops dispatching and records the images already in flight
// before the command returns, with exit code 130 or 143. The CLI handles the signals itself (see Termination), so
// System.CommandLine's own handler is off (no termination timeout) and the command gets Termination's token.
Termination.Watch(RunCommand.StopTimeout + TimeSpan.FromSeconds(15));
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, Termination.Token);
