using FaceSwap.Abstractions.Jobs;
using FaceSwap.Engine.Imaging;

namespace FaceSwap.Grains.Batch;

/// <summary>Where a job's own files live beside its output, and which input names are images.</summary>
public static class JobFiles
{
    /// <summary>Folder name of the platform's files inside an output prefix.</summary>
    public const string Folder = "_faceswap";

    /// <summary>OUT/_faceswap/&lt;jobId&gt;/summary.json.</summary>
    public static string Summary(JobSpec spec, string jobId) => $"{spec.Output}{Folder}/{jobId}/summary.json";

    /// <summary>OUT/_faceswap/&lt;jobId&gt;/outcomes.jsonl: one JSON line per image.</summary>
    public static string Outcomes(JobSpec spec, string jobId) => $"{spec.Output}{Folder}/{jobId}/outcomes.jsonl";

    /// <summary>OUT/_faceswap/&lt;jobId&gt;/contact-sheet.png: a preview job's faces, input beside output, with their figures.</summary>
    public static string ContactSheet(JobSpec spec, string jobId) => $"{spec.Output}{Folder}/{jobId}/contact-sheet.png";

    /// <summary>OUT/_faceswap/&lt;jobId&gt;/retry-&lt;round&gt;.txt: the paths a retry-failed round runs again.</summary>
    public static string RetryList(JobSpec spec, string jobId, int round) => $"{spec.Output}{Folder}/{jobId}/retry-{round}.txt";

    /// <summary>
    /// Whether a listed path is an input image: a readable extension in any letter case, or that of a photo format the
    /// engine does not read (listed so that its outcome says <c>unsupported_format</c>), not inside the platform's own
    /// folder, not the source face itself, and not inside the output prefix when that lies under the input.
    /// </summary>
    public static bool IsInputImage(JobSpec spec, string path) =>
        (ImageCodec.ReadableExtensions.Contains(Path.GetExtension(path)) || ImageCodec.UnreadablePhotoExtensions.Contains(Path.GetExtension(path)))
        && !SourceMatrix.IsSource(spec, path)
        && !path[spec.Input.Length..].Split('/').Contains(Folder)
        && !(spec.Output.StartsWith(spec.Input, StringComparison.Ordinal) && spec.Output != spec.Input && path.StartsWith(spec.Output, StringComparison.Ordinal));
}
