using FaceSwap.Abstractions.Jobs;

namespace FaceSwap.Grains.Batch;

/// <summary>The name an input's output is written under, from the job's <see cref="JobOptions.Format"/>.</summary>
public static class OutputNames
{
    /// <summary>
    /// The output's path relative to the output prefix for an input's relative path: the same path, with the extension
    /// of the job's format when that is another one, and <c>.jpg</c> for HEIC/HEIF and AVIF inputs under <c>keep</c>
    /// (the engine reads them but writes no HEIF). A folder holding both <c>a.heic</c> and <c>a.jpg</c> gives both
    /// outputs one name; the later one replaces the earlier.
    /// </summary>
    public static string For(JobSpec spec, string relative)
    {
        var extension = Path.GetExtension(relative).ToLowerInvariant();
        var wanted = spec.Options.Format switch
        {
            "jpg" => extension is ".jpg" or ".jpeg" ? null : ".jpg",
            "png" => extension == ".png" ? null : ".png",
            "webp" => extension == ".webp" ? null : ".webp",
            _ => extension is ".heic" or ".heif" or ".avif" ? ".jpg" : null,
        };
        return wanted is null ? relative : relative[..^extension.Length] + wanted;
    }
}
