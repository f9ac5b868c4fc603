using FaceSwap.Abstractions.Jobs;

namespace FaceSwap.Abstractions.Api;

/// <summary>
/// The body of <c>POST /api/jobs</c>. Paths are storage paths, <c>container/folder/...</c>: the source face is an image,
/// input and output are prefixes (a trailing '/' is added when missing).
/// </summary>
public sealed record SubmitJobRequest
{
    /// <summary>The image holding the source face.</summary>
    public string? Source { get; init; }

    /// <summary>
    /// Several sources instead of (or beside) <see cref="Source"/>: images and folder prefixes ending in '/'. Photos of one
    /// person by default; every one against every target with <c>options.sourcesMode</c> "each".
    /// </summary>
    public IReadOnlyList<string>? Sources { get; init; }

    /// <summary>The prefix whose images are swapped, listed recursively.</summary>
    public string? Input { get; init; }

    /// <summary>The prefix the outputs go to, mirroring the input's folders.</summary>
    public string? Output { get; init; }

    /// <summary>Options; every member left out keeps its default.</summary>
    public JobOptions? Options { get; init; }

    /// <summary>A reference to the consent on record for the source face.</summary>
    public string? ConsentReference { get; init; }

    /// <summary>
    /// An id chosen by the caller (see <see cref="JobIds"/>), which makes submitting idempotent: the same id with the
    /// same spec returns the existing job. Left out, the server picks one.
    /// </summary>
    public string? JobId { get; init; }
}
