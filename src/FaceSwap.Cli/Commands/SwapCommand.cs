using System.CommandLine;
using System.Text.Json;
using FaceSwap.Engine;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Swapping;

namespace FaceSwap.Cli.Commands;

/// <summary>`faceswap swap`: one source face into every face of one target image.</summary>
public static class SwapCommand
{
    private static readonly JsonSerializerOptions ReportJson = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private static readonly Option<string[]> Source = SourceArguments.Source("Image with the source face; repeat it or give a folder for several photos of one person (the closest head pose is used per face)");
    private static readonly Option<string> Target = new("--target") { Description = "Image whose faces are replaced", Required = true };
    private static readonly Option<string> Output = new("--output") { Description = "Output image (.jpg, .png or .webp)", Required = true };
    private static readonly Option<string?> Report = new("--report") { Description = "Write a JSON report of faces, similarities and timings" };
    private static readonly Option<string> Faces = CommonOptions.Faces();
    private static readonly Option<long> MaxPixels = CommonOptions.MaxPixels();
    private static readonly Option<string[]> References = CommonOptions.References();
    private static readonly Option<float> ReferenceDistance = CommonOptions.ReferenceDistance();
    private static readonly Option<int> MinFace = CommonOptions.MinFace();
    private static readonly ModelOptions Neural = new();

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("swap", "Put the source face into the faces of one target image")
        {
            Source, Target, Output, Report, Faces, References, ReferenceDistance, MinFace, MaxPixels,
        };
        foreach (var option in Neural.All)
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) => CommandRunner.RunAsync(() => RunAsync(parse)));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse)
    {
        var sourceValues = parse.GetValue(Source)!;
        var sourcePaths = sourceValues.SelectMany(SourceArguments.LocalImages).ToList();
        var targetPath = parse.GetValue(Target)!;
        var outputPath = parse.GetValue(Output)!;
        var format = ImageCodec.FormatFromPath(outputPath);
        var faces = parse.GetValue(Faces)!;
        var referencePaths = parse.GetValue(References) ?? [];
        CommonOptions.CheckSelection(faces, referencePaths, parse.GetValue(ReferenceDistance), parse.GetValue(MinFace));
        var referenceBytes = referencePaths.Select(p => (Path: p, Bytes: CommonOptions.ReadInput(p, "reference"))).ToList();
        var sourceBytes = sourcePaths.Select(p => (Name: Path.GetFileName(p), Bytes: CommonOptions.ReadInput(p, "source"))).ToList();
        var targetBytes = CommonOptions.ReadInput(targetPath, "target");

        var selection = Neural.Selection(parse);
        var provider = Neural.ExecutionProvider(parse);
        var models = ModelDirectory.Open(parse.GetValue(CommonOptions.Models));
        using var neuralModels = new FaceSwap.Engine.Neural.NeuralModels(models, new FaceSwap.Engine.Neural.NeuralSettings { Provider = provider });
        var stack = ModelOptions.Resolve(neuralModels, selection);
        using var engine = FaceEngine.Load(models, new EngineOptions { MaxPixels = parse.GetValue(MaxPixels), Onnx = new OnnxSettings { Provider = provider } });

        using var source = sourceBytes.Count == 1
            ? SourceSet.Of(WithContext(sourcePaths[0], () => engine.PrepareSource(sourceBytes[0].Bytes)))
            : WithContext("source set", () => SourceSet.Prepare(engine, sourceBytes));
        using var single = sourceBytes.Count == 1 ? source.Candidates[0].Face : null;
        var references = referenceBytes.Select(r => WithContext($"reference {r.Path}", () => engine.PrepareReference(r.Bytes))).ToList();
        var result = WithContext(targetPath, () => engine.Swap(targetBytes, source, new SwapRequest
        {
            Faces = CommonOptions.ParseFaces(faces),
            References = references,
            ReferenceDistance = parse.GetValue(ReferenceDistance),
            MinFace = parse.GetValue(MinFace),
            OutputFormat = format,
            Swapper = stack.Swapper,
            Enhancer = stack.Enhancer,
            Detector = stack.Detector,
            Landmarker = stack.Landmarker,
        }));

        var directory = Path.GetDirectoryName(Path.GetFullPath(outputPath))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(outputPath)}.{Environment.ProcessId}.tmp");
        await File.WriteAllBytesAsync(temp, result.Output);
        File.Move(temp, outputPath, overwrite: true);

        var reportPath = parse.GetValue(Report);
        if (reportPath is not null)
        {
            var report = new
            {
                faces = result.Faces.Select(f => new
                {
                    box = f.Box,
                    score = Math.Round(f.Score, 4),
                    selected = f.Selected,
                    reason = f.Reason,
                    referenceDistance = f.ReferenceDistance is { } d ? Math.Round(d, 4) : (double?)null,
                    similarityBefore = Math.Round(f.SimilarityBefore, 4),
                    similarityAfter = f.SimilarityAfter is { } a ? Math.Round(a, 4) : (double?)null,
                    source = f.Source,
                }),
                timingsMs = result.TimingsMs.ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 1)),
            };
            await File.WriteAllTextAsync(reportPath, JsonSerializer.Serialize(report, ReportJson));
        }

        foreach (var face in result.Faces)
        {
            var distance = face.ReferenceDistance is { } d ? FormattableString.Invariant($", reference distance {d:0.000}") : "";
            if (!face.Swapped)
            {
                Console.WriteLine($"face at [{string.Join(",", face.Box)}]: left untouched ({face.Reason}{distance})");
                continue;
            }

            var after = face.SimilarityAfter is { } s ? s.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) : "not found";
            var photo = face.Source is null ? "" : $", from {face.Source}";
            Console.WriteLine($"face at [{string.Join(",", face.Box)}]: similarity to source {face.SimilarityBefore:0.000} -> {after}{distance}{photo}");
        }

        var skipped = result.Faces.Count(f => !f.Swapped);
        Console.WriteLine($"wrote {outputPath} ({result.Width}x{result.Height}, {result.Faces.Count(f => f.Swapped)} face(s) swapped{(skipped > 0 ? $", {skipped} left untouched" : "")}, {result.TimingsMs.Values.Sum():0} ms)");
        return ExitCodes.Success;
    }

    private static T WithContext<T>(string path, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (FaceSwapException e)
        {
            throw new FaceSwapException(e.Kind, $"{path}: {e.Message}", e);
        }
    }
}
