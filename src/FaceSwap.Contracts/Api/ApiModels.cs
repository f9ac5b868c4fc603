using FaceSwap.Abstractions.Jobs;

namespace FaceSwap.Abstractions.Api;

/// <summary>A page of <c>GET /api/jobs</c>, newest first.</summary>
/// <param name="Items">The jobs.</param>
/// <param name="Next">The cursor of the next page (query <c>cursor</c>), or null at the end.</param>
public sealed record JobList(IReadOnlyList<JobStatus> Items, string? Next);

/// <summary>A page of <c>GET /api/jobs/{id}/results</c>: the latest outcome of each image, in the order they finished.</summary>
/// <param name="Items">The outcomes.</param>
/// <param name="Next">The cursor of the next page, or null at the end.</param>
/// <param name="Total">How many outcomes match the filter in all.</param>
public sealed record ResultsPage(IReadOnlyList<ImageOutcome> Items, string? Next, int Total);

/// <summary>One before/after pair of <c>GET /api/jobs/{id}/gallery</c>.</summary>
/// <param name="Path">The image's path relative to the job's input and output prefixes.</param>
/// <param name="Before">URL of a thumbnail of the input.</param>
/// <param name="After">URL of a thumbnail of the output.</param>
/// <param name="Faces">Faces swapped.</param>
/// <param name="Similarity">Identity similarity to the source measured on the output (mean over the faces found again).</param>
/// <param name="FacesLost">Swapped faces not found again on the output (failed swaps).</param>
/// <param name="FacesToReview">Swapped faces that need a look.</param>
/// <param name="FaceOutcomes">Each swapped face's figures and review reasons, largest first (as in <see cref="ImageOutcome.FaceOutcomes"/>).</param>
public sealed record GalleryItem(string Path, string Before, string After, int Faces, float? Similarity, int FacesLost = 0, int FacesToReview = 0,
    IReadOnlyList<FaceOutcome>? FaceOutcomes = null);

/// <summary>Who the caller is, as <c>GET /api/whoami</c> says.</summary>
/// <param name="Name">The key's (or user's) name.</param>
/// <param name="Role">read, submit or admin.</param>
public sealed record CallerInfo(string Name, string Role);

/// <summary>Kinds of server-sent events on <c>GET /api/jobs/{id}/events</c>.</summary>
public enum JobEventKind
{
    /// <summary>A snapshot of the job's status (data: <see cref="JobStatus"/>).</summary>
    Status,
    /// <summary>The outcome of one image (data: <see cref="ImageOutcome"/>).</summary>
    Image,
    /// <summary>The job reached a terminal state (data: <see cref="JobStatus"/>); the stream ends.</summary>
    Done,
}

/// <summary>One event of a job's live stream, as the client SDK yields it.</summary>
/// <param name="Kind">The kind.</param>
/// <param name="Id">The event id: a position in the job's outcomes manifest; resuming from it loses and repeats nothing.</param>
/// <param name="Status">The status, for <see cref="JobEventKind.Status"/> and <see cref="JobEventKind.Done"/>.</param>
/// <param name="Image">The outcome, for <see cref="JobEventKind.Image"/>.</param>
public sealed record JobEvent(JobEventKind Kind, string? Id, JobStatus? Status, ImageOutcome? Image);
