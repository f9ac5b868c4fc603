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

// Ctrl+C and SIGTERM cancel the command's token (jobs stop after the images in flight); without a termination
// timeout System.CommandLine 2.0.0 leaves the process to be killed by the signal before the command sees it.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10) });
