using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FaceSwap.Engine;
using FaceSwap.Engine.Imaging;
using FaceSwap.Engine.Safety;

namespace FaceSwap.Cli.Commands;

/// <summary>
/// `faceswap verify FILE...`: reports the provenance marks of images: the XMP metadata mark (IPTC DigitalSourceType
/// trainedAlgorithmicMedia, job id) and the invisible watermark (found or not, job tag, confidence).
/// </summary>
public static class VerifyCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var files = new Argument<string[]>("FILE") { Description = "Images to check", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per file instead of text" };
        var command = new Command("verify", "Report whether images carry FaceSwap's AI-generated marks (metadata and invisible watermark)") { files, json };
        command.SetAction(parse =>
        {
            var exit = ExitCodes.Success;
            foreach (var file in parse.GetValue(files)!)
            {
                var report = Check(file);
                if (parse.GetValue(json))
                {
                    Console.WriteLine(JsonSerializer.Serialize(report, JsonOptions));
                }
                else
                {
                    Print(report);
                }

                exit = Math.Max(exit, report.Error is not null ? (File.Exists(file) ? ExitCodes.Failure : ExitCodes.NotFound)
                    : report.Metadata.Found || report.Watermark.Found ? ExitCodes.Success : ExitCodes.Unmarked);
            }

            return exit;
        });
        return command;
    }

    /// <summary>The marks of one file.</summary>
    public static VerifyReport Check(string file)
    {
        var none = new WatermarkReading(false, null, 0, 0);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new VerifyReport(file, new ProvenanceMetadata(false, null, null, null), none, null, e.Message);
        }

        var metadata = XmpMarker.Read(bytes);
        try
        {
            using var image = ImageCodec.Decode(bytes);
            var watermark = Watermark.Detect(image);
            bool? matches = watermark.Found && metadata.JobId is { } jobId ? Watermark.JobTag(jobId) == watermark.JobTag : null;
            return new VerifyReport(file, metadata, watermark, matches, null);
        }
        catch (FaceSwapException e)
        {
            return new VerifyReport(file, metadata, none, null, e.Message);
        }
    }

    private static void Print(VerifyReport report)
    {
        Console.WriteLine(report.File);
        var m = report.Metadata;
        Console.WriteLine(m.Found
            ? $"  metadata:  AI-generated (IPTC DigitalSourceType trainedAlgorithmicMedia){(m.JobId is null ? "" : $", job {m.JobId}")}"
            : $"  metadata:  not found{(m.DigitalSourceType is { } type ? $" (DigitalSourceType {type})" : "")}");
        if (report.Error is not null)
        {
            Console.WriteLine($"  watermark: not checked: {report.Error}");
            return;
        }

        var w = report.Watermark;
        var confidence = w.Confidence.ToString("0.00", CultureInfo.InvariantCulture);
        var score = w.Score.ToString("0.00", CultureInfo.InvariantCulture);
        Console.WriteLine(w.Found
            ? $"  watermark: found, job tag {w.JobTag}{report.MatchesMetadata switch { true => $" (matches job {m.JobId})", false => " (does NOT match the metadata's job id)", null => "" }}, confidence {confidence} (score {score})"
            : $"  watermark: not found (score {score}, threshold {Watermark.Threshold.ToString("0.0", CultureInfo.InvariantCulture)})");
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}

/// <summary>What `faceswap verify` found in one file.</summary>
/// <param name="File">The file.</param>
/// <param name="Metadata">The XMP mark.</param>
/// <param name="Watermark">The invisible watermark.</param>
/// <param name="MatchesMetadata">Whether the watermark's job tag is the tag of the metadata's job id (null: not both present).</param>
/// <param name="Error">Why the file could not be checked (unreadable, not an image).</param>
public sealed record VerifyReport(string File, ProvenanceMetadata Metadata, WatermarkReading Watermark, bool? MatchesMetadata, string? Error);
