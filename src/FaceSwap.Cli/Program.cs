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
};

return await root.Parse(args).InvokeAsync();
