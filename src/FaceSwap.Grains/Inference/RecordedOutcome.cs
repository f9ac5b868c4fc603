using System.Text.Encodings.Web;
using System.Text.Json;
using FaceSwap.Abstractions.Api;
using FaceSwap.Abstractions.Jobs;

namespace FaceSwap.Grains.Inference;

/// <summary>
/// The figures of an ok outcome, stored with its output (metadata <see cref="OutputMetadata.Outcome"/>), so that the
/// job that wrote it can count the image again when it meets the output once more: after its dispatcher's silo was
/// lost, the job lists the unfinished pages again, and an image swapped before the loss is one ok image with its faces,
/// not a skipped one.
/// </summary>
public static class RecordedOutcome
{
    /// <summary>
    /// The longest value kept whole; past it the per-face list is left out (the counts stay). Azure allows 8 KB of
    /// metadata per blob, the other keys included.
    /// </summary>
    public const int MaxLength = 4096;

    /// <summary>Escapes everything outside ASCII: metadata values are printable ASCII in every store.</summary>
    private static readonly JsonSerializerOptions Json = new(FaceSwapJson.Options) { Encoder = JavaScriptEncoder.Default };

    /// <summary>The metadata value for an ok outcome: its faces and figures, without what belongs to one run (path, silo, timings).</summary>
    public static string Encode(ImageOutcome outcome)
    {
        var figures = outcome with { Path = "", Silo = null, Stages = null, Milliseconds = 0, Message = null, Identity = null, CacheHit = false };
        var text = JsonSerializer.Serialize(figures, Json);
        return text.Length <= MaxLength ? text : JsonSerializer.Serialize(figures with { FaceOutcomes = null, SourcesUsed = null }, Json);
    }

    /// <summary>
    /// The figures recorded with an output by whichever job wrote it (its faces, for a preview's contact sheet when the
    /// image was done before), or null when none were recorded or they cannot be read.
    /// </summary>
    public static ImageOutcome? Figures(IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null || !metadata.TryGetValue(OutputMetadata.Outcome, out var recorded))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<ImageOutcome>(recorded, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The ok outcome this job recorded with an output that matches the work item (same input version and spec), or
    /// null when the output is another job's, was made before outcomes were recorded, or does not match.
    /// </summary>
    public static ImageOutcome? Recount(IReadOnlyDictionary<string, string>? metadata, WorkBatch batch, WorkItem item, ImageOutcome blank)
    {
        if (!OutputMetadata.Matches(metadata, item.ETag, batch.SpecHash)
            || !metadata!.TryGetValue(OutputMetadata.JobId, out var jobId) || jobId != batch.JobId
            || !metadata.TryGetValue(OutputMetadata.Outcome, out var recorded))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<ImageOutcome>(recorded, Json) is { } figures
                ? figures with { Path = blank.Path, Identity = blank.Identity, Silo = blank.Silo, Status = ImageStatus.Ok }
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
