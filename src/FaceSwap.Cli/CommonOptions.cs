using System.CommandLine;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Pipeline;

namespace FaceSwap.Cli;

/// <summary>Options several commands share.</summary>
public static class CommonOptions
{
    /// <summary>--models DIR.</summary>
    public static readonly Option<string?> Models = new("--models")
    {
        Description = $"Model folder (default: ${ModelDirectory.EnvironmentVariable}, else the repository's models/ folder)",
        Recursive = true,
    };

    /// <summary>--faces all|largest.</summary>
    public static Option<string> Faces() => new Option<string>("--faces")
    {
        Description = "Which target faces to swap",
        DefaultValueFactory = _ => "all",
    }.AcceptOnlyFromAmong("all", "largest");

    /// <summary>--max-pixels N.</summary>
    public static Option<long> MaxPixels() => new("--max-pixels")
    {
        Description = "Refuse images with more pixels than this",
        DefaultValueFactory = _ => ImageCodec.DefaultMaxPixels,
    };

    /// <summary>Parses a --faces value.</summary>
    public static FaceSelection ParseFaces(string value) =>
        string.Equals(value, "largest", StringComparison.OrdinalIgnoreCase) ? FaceSelection.Largest : FaceSelection.All;

    /// <summary>Reads a file named on the command line, with a clear error when it is not there.</summary>
    public static byte[] ReadInput(string path, string what)
    {
        if (!File.Exists(path))
        {
            throw new CliException($"{what} '{path}' does not exist", ExitCodes.NotFound);
        }

        return File.ReadAllBytes(path);
    }
}
