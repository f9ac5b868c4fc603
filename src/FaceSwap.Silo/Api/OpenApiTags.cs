namespace FaceSwap.Silo.Api;

/// <summary>The tags that group the API's operations in its OpenAPI document, and what each covers.</summary>
public static class OpenApiTags
{
    /// <summary>Jobs and their live events.</summary>
    public const string Jobs = "jobs";

    /// <summary>Outcomes, gallery, thumbnails.</summary>
    public const string Results = "results";

    /// <summary>Photos uploaded from a browser into the inbox.</summary>
    public const string Uploads = "uploads";

    /// <summary>The caller's identity.</summary>
    public const string Caller = "caller";

    /// <summary>Each tag's description.</summary>
    public static readonly IReadOnlyDictionary<string, string> Descriptions = new Dictionary<string, string>
    {
        [Jobs] = "Submit, list, follow, cancel and retry batch face-swap jobs.",
        [Results] = "A job's per-image outcomes, a sample of its swapped images, thumbnails of its inputs and outputs, its outputs as one zip and its failures as CSV.",
        [Uploads] = "Photos uploaded one file at a time into the inbox container, for a job to read; resumable per file.",
        [Caller] = "Who the presented key or token is and what it may do.",
    };
}
