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

    /// <summary>--faces all|largest|reference.</summary>
    public static Option<string> Faces() => new Option<string>("--faces")
    {
        Description = "Which target faces to swap: all, the largest, or those of the people in --reference",
        DefaultValueFactory = _ => "all",
    }.AcceptOnlyFromAmong("all", "largest", "reference");

    /// <summary>--reference FACE_IMAGE (repeatable).</summary>
    public static Option<string[]> References() => new("--reference")
    {
        Description = "With --faces reference: a photo of a person whose faces are swapped (repeat for several people)",
        AllowMultipleArgumentsPerToken = false,
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>--reference-distance D.</summary>
    public static Option<float> ReferenceDistance() => new("--reference-distance")
    {
        Description = "With --faces reference: the largest cosine distance (1 - similarity) to a reference at which a face counts as that person, in (0, 2]",
        DefaultValueFactory = _ => SwapRequest.DefaultReferenceDistance,
    };

    /// <summary>--min-face N.</summary>
    public static Option<int> MinFace() => new("--min-face")
    {
        Description = "Leave faces whose box's shorter side is under N pixels untouched (every --faces mode); 0: no minimum",
        DefaultValueFactory = _ => 0,
    };

    /// <summary>Checks the face-selection options together; the message names the option at fault.</summary>
    public static void CheckSelection(string faces, string[] references, float distance, int minFace)
    {
        if (faces == "reference" && references.Length == 0)
        {
            throw new CliException("--faces reference needs at least one --reference FACE_IMAGE");
        }

        if (faces != "reference" && references.Length > 0)
        {
            throw new CliException("--reference is only used with --faces reference");
        }

        if (!(distance > 0 && distance <= 2))
        {
            throw new CliException("--reference-distance must be in (0, 2]");
        }

        if (minFace < 0)
        {
            throw new CliException("--min-face must be 0 or more");
        }
    }

    /// <summary>--max-pixels N.</summary>
    public static Option<long> MaxPixels() => new("--max-pixels")
    {
        Description = "Refuse images with more pixels than this",
        DefaultValueFactory = _ => ImageCodec.DefaultMaxPixels,
    };

    /// <summary>Parses a --faces value.</summary>
    public static FaceSelection ParseFaces(string value) => value.ToLowerInvariant() switch
    {
        "largest" => FaceSelection.Largest,
        "reference" => FaceSelection.Reference,
        _ => FaceSelection.All,
    };

    /// <summary>Parses a --faces value as a job's face mode.</summary>
    public static FaceSwap.Abstractions.Jobs.FaceMode ParseFaceMode(string value) => ParseFaces(value) switch
    {
        FaceSelection.Largest => FaceSwap.Abstractions.Jobs.FaceMode.Largest,
        FaceSelection.Reference => FaceSwap.Abstractions.Jobs.FaceMode.Reference,
        _ => FaceSwap.Abstractions.Jobs.FaceMode.All,
    };

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
