using System.CommandLine;
using System.Text.Json;
using FaceSwap.Engine;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Models;
using FaceSwap.Engine.Pipeline;
using FaceSwap.Engine.Swapping;
using FaceSwap.Grains.Inference;
using FaceSwap.ModelStore;

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
        var models = ModelFolder.Open(parse.GetValue(CommonOptions.Models));
        using var neuralModels = new NeuralModels(models, new OnnxSettings { Provider = provider });
        var stack = ModelOptions.Resolve(neuralModels, selection);
        using var engine = FaceEngine.Load(models, new EngineOptions { MaxPixels = parse.GetValue(MaxPixels), Onnx = new OnnxSettings { Provider = provider } });

        using var source = sourceBytes.Count == 1
            ? SourceSet.WithMirror(engine, WithContext(sourcePaths[0], () => engine.PrepareSource(sourceBytes[0].Bytes)))
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

        var outcomes = result.Faces.Select(f => f.Swapped ? FaceOutcomes.Of(f) : null).ToList();
        var warnings = SoftSourceWarnings(result.Faces, source);
        var reportPath = parse.GetValue(Report);
        if (reportPath is not null)
        {
            var report = new
            {
                faces = result.Faces.Select((f, i) => new
                {
                    box = f.Box,
                    score = Math.Round(f.Score, 4),
                    selected = f.Selected,
                    reason = f.Reason,
                    referenceDistance = f.ReferenceDistance is { } d ? Math.Round(d, 4) : (double?)null,
                    similarityBefore = Math.Round(f.SimilarityBefore, 4),
                    similarityAfter = f.SimilarityAfter is { } a ? Math.Round(a, 4) : (double?)null,
                    tint = f.Realism?.Tint,
                    shade = f.Realism?.Shade,
                    detail = f.Realism?.Detail,
                    sharpness = f.Realism?.Sharpness,
                    sourceScale = f.SourceScale,
                    needsReview = f.Swapped ? outcomes[i]!.NeedsReview : (bool?)null,
                    review = outcomes[i]?.Review,
                    source = f.Source,
                }),
                facesLost = outcomes.Count(o => o is { Similarity: null }),
                facesToReview = outcomes.Count(o => o is { NeedsReview: true }),
                thresholds = FaceOutcomes.Thresholds,
                warnings,
                timingsMs = result.TimingsMs.ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 1)),
            };
            await File.WriteAllTextAsync(reportPath, JsonSerializer.Serialize(report, ReportJson));
        }

        for (var i = 0; i < result.Faces.Count; i++)
        {
            var face = result.Faces[i];
            var distance = face.ReferenceDistance is { } d ? Invariant($", reference distance {d:0.000}") : "";
            if (outcomes[i] is not { } outcome)
            {
                Console.WriteLine($"face at [{string.Join(",", face.Box)}]: left untouched ({face.Reason}{distance})");
                continue;
            }

            var after = face.SimilarityAfter is { } s ? Invariant($"{s:0.000}") : "not found again (lost: the swap failed)";
            var realism = face.Realism is { } r ? Invariant($", tint {r.Tint:0.0}, shade {r.Shade:0.0}, detail {r.Detail:0.00}, sharpness {r.Sharpness:0.00}") : "";
            var scale = face.SourceScale is { } k ? Invariant($", source enlarged {k:0.0}x") : "";
            var photo = face.Source is null ? "" : $", from {face.Source}";
            var review = outcome.Review is { } reasons ? $"; needs review: {string.Join(", ", reasons)}" : "";
            Console.WriteLine(Invariant($"face at [{string.Join(",", face.Box)}]: similarity to source {face.SimilarityBefore:0.000} -> {after}{realism}{scale}{distance}{photo}{review}"));
        }

        foreach (var warning in warnings)
        {
            Console.Error.WriteLine($"warning: {warning}");
        }

        var skipped = result.Faces.Count(f => !f.Swapped);
        Console.WriteLine($"wrote {outputPath} ({result.Width}x{result.Height}, {result.Faces.Count(f => f.Swapped)} face(s) swapped{(skipped > 0 ? $", {skipped} left untouched" : "")}, {result.TimingsMs.Values.Sum():0} ms)");
        return ExitCodes.Success;
    }

    /// <summary>
    /// One warning per source photo that had to be enlarged by more than <see cref="FaceReport.SoftSourceScale"/> for
    /// some face: its size between the eyes and the largest such face's, so the user knows to bring a larger photo.
    /// </summary>
    private static List<string> SoftSourceWarnings(IReadOnlyList<FaceReport> faces, SourceSet sources)
    {
        var warnings = new List<string>();
        foreach (var group in faces.Where(f => f.Swapped && f.SourceScale > FaceReport.SoftSourceScale).GroupBy(f => f.Source))
        {
            var candidate = sources.Candidates.FirstOrDefault(c => c.Name == group.Key) ?? sources.Candidates[0];
            var eyes = FaceSwap.Engine.Landmarks.FaceGeometry.EyeDistance(candidate.Face.Landmarks);
            var largest = group.Max(f => f.SourceScale!.Value) * eyes;
            var name = group.Key is null || !sources.HasSeveralPhotos ? "source face" : $"source face in {group.Key}";
            warnings.Add(Invariant($"{name} is {eyes:0} px between the eyes, faces here are up to {largest:0} px ({group.Count()} enlarged more than {FaceReport.SoftSourceScale:0.#}x): results will be soft; use a larger photo"));
        }

        return warnings;
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

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
