using System.CommandLine;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Pipeline;
using FaceSwap.ModelStore;

namespace FaceSwap.Cli;

/// <summary>Options several commands share.</summary>
public static class CommonOptions
{
    /// <summary>--models DIR.</summary>
    public static readonly Option<string?> Models = new("--models")
    {
        Description = $"Model folder (default: ${ModelFolder.EnvironmentVariable}, else the repository's models/ folder)",
        Recursive = true,
    };

    /// <summary>--faces all|largest|reference.</summary>
    public static Option<string> Faces() => new Option<string>("--faces")
    {
        Description = "Which target faces to swap: all, the largest, or those of the people in --reference",
        DefaultValueFactory = _ => "all",
    }.AcceptOnlyFromAmong("all", "largest", "reference");

    /// <summary>--reference FACE_IMAGE (repeatable).</summary>
    public static Option<string[]> References(string description = "With --faces reference: a photo of a person whose faces are swapped (repeat for several people)") => new("--reference")
    {
        Description = description,
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

    /// <summary>
    /// Refuses a value outside [<paramref name="min"/>, <paramref name="max"/>] when the command line is parsed: one line
    /// naming the option, and the usage exit code, before anything starts (a value the platform would take as given,
    /// like --concurrency 100000, runs it out of memory).
    /// </summary>
    public static Option<int> Within(this Option<int> option, int min, int max)
    {
        option.Validators.Add(result =>
        {
            // No token: the default. A token that is not a number: the parser reports it itself, in one line too.
            if (result.Tokens.Count == 0 || !int.TryParse(result.Tokens[^1].Value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                return;
            }

            if (value < min || value > max)
            {
                result.AddError($"{option.Name} must be {min} to {max}, not {value}");
            }
        });
        return option;
    }

    /// <summary>
    /// <c>--preview N</c>: swap only N images chosen across the input's folders, write them and a contact sheet, and stop.
    /// Out of 1 to <see cref="FaceSwap.Abstractions.Jobs.JobOptions.MaxPreview"/> it is refused when the command line is
    /// parsed, with the code the API gives (<c>preview_out_of_range</c>).
    /// </summary>
    public static Option<int?> Preview()
    {
        var option = new Option<int?>("--preview")
        {
            Description = $"Swap only N images chosen across the input's folders (1-{FaceSwap.Abstractions.Jobs.JobOptions.MaxPreview}), write them and a contact sheet "
                + "of their faces (input | output with each face's figures), then stop; the full run afterwards skips them",
        };
        option.Validators.Add(result =>
        {
            // A token that is not a number: the parser reports it itself, in one line too.
            if (result.Tokens.Count > 0
                && int.TryParse(result.Tokens[^1].Value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value)
                && value is < 1 or > FaceSwap.Abstractions.Jobs.JobOptions.MaxPreview)
            {
                result.AddError($"--preview must be 1 to {FaceSwap.Abstractions.Jobs.JobOptions.MaxPreview} images, not {value} ({FaceSwap.Abstractions.Jobs.JobRefusalCodes.PreviewOutOfRange})");
            }
        });
        return option;
    }

    /// <summary>Refuses a value under <paramref name="min"/> when the command line is parsed (see <see cref="Within(Option{int}, int, int)"/>).</summary>
    public static Option<long> AtLeast(this Option<long> option, long min)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0
                && long.TryParse(result.Tokens[^1].Value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value)
                && value < min)
            {
                result.AddError($"{option.Name} must be {min} or more, not {value}");
            }
        });
        return option;
    }

    /// <summary>--batch-size N: images per inference call, 1 to <see cref="FaceSwap.Abstractions.Jobs.JobOptions.MaxBatchSize"/>.</summary>
    public static Option<int> BatchSize(string description, int defaultValue) =>
        new Option<int>("--batch-size") { Description = $"{description} (1-{FaceSwap.Abstractions.Jobs.JobOptions.MaxBatchSize})", DefaultValueFactory = _ => defaultValue }
            .Within(1, FaceSwap.Abstractions.Jobs.JobOptions.MaxBatchSize);

    /// <summary>--prefetch N: images listed ahead and in flight, 1 to <see cref="FaceSwap.Abstractions.Jobs.JobOptions.MaxPrefetch"/>.</summary>
    public static Option<int> Prefetch(int defaultValue) =>
        new Option<int>("--prefetch") { Description = $"Images listed ahead and in flight at most (1-{FaceSwap.Abstractions.Jobs.JobOptions.MaxPrefetch})", DefaultValueFactory = _ => defaultValue }
            .Within(1, FaceSwap.Abstractions.Jobs.JobOptions.MaxPrefetch);

    /// <summary>--concurrency N: engine pipelines, 0 (one per core) to <see cref="FaceSwap.Grains.Hosting.FaceSwapSiloOptions.MaxConcurrency"/>.</summary>
    public static Option<int> Concurrency(string description = "Engine pipelines") =>
        new Option<int>("--concurrency") { Description = $"{description} (0: one per core; at most {FaceSwap.Grains.Hosting.FaceSwapSiloOptions.MaxConcurrency})", DefaultValueFactory = _ => 0 }
            .Within(0, FaceSwap.Grains.Hosting.FaceSwapSiloOptions.MaxConcurrency);

    /// <summary>Checks the face-selection options together; the message names the option at fault (a usage error, exit 4).</summary>
    public static void CheckSelection(string faces, string[] references, float distance, int minFace)
    {
        if (faces == "reference" && references.Length == 0)
        {
            throw new CliException("--faces reference needs at least one --reference FACE_IMAGE", ExitCodes.Usage);
        }

        if (faces != "reference" && references.Length > 0)
        {
            throw new CliException("--reference is only used with --faces reference", ExitCodes.Usage);
        }

        if (!(distance > 0 && distance <= 2))
        {
            throw new CliException("--reference-distance must be in (0, 2]", ExitCodes.Usage);
        }

        if (minFace < 0)
        {
            throw new CliException("--min-face must be 0 or more", ExitCodes.Usage);
        }
    }

    /// <summary>--max-pixels N.</summary>
    public static Option<long> MaxPixels() => new Option<long>("--max-pixels")
    {
        Description = "Refuse images with more pixels than this",
        DefaultValueFactory = _ => ImageCodec.DefaultMaxPixels,
    }.AtLeast(1);

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
