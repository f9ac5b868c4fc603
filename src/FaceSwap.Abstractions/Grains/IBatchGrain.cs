using FaceSwap.Abstractions.Jobs;

namespace FaceSwap.Abstractions.Grains;

/// <summary>Owns one job (key: job id): lists the input lazily, keeps a bounded window in flight, records outcomes.</summary>
[Alias("FaceSwap.IBatchGrain")]
public interface IBatchGrain : IGrainWithStringKey
{
    /// <summary>Starts the job; calling it again with the same spec returns the current status.</summary>
    /// <exception cref="JobRefusedException">
    /// The spec breaks the host's job policy (no submitter, no consent reference, watermark off, pixel limit over the
    /// host's); no job is created.
    /// </exception>
    [Alias("Start")]
    Task<JobStatus> StartAsync(JobSpec spec);

    /// <summary>The job's status.</summary>
    [Alias("GetStatus")]
    Task<JobStatus> GetStatusAsync();

    /// <summary>Stops the job: nothing new is dispatched; work in flight finishes.</summary>
    [Alias("Cancel")]
    Task<JobStatus> CancelAsync();

    /// <summary>
    /// Runs the images whose latest outcome is a failure again (for example after a corrupt file was replaced).
    /// </summary>
    /// <exception cref="InvalidOperationException">The job is still running, or it never started.</exception>
    [Alias("RetryFailed")]
    Task<JobStatus> RetryFailedAsync();

    /// <summary>
    /// Whether <paramref name="run"/> is the activation that dispatches the job now. Inference silos ask before reading
    /// and writing an image of a batch: a batch sent by an activation that is gone (its silo was lost) stops there.
    /// </summary>
    [Alias("IsCurrentRun")]
    Task<bool> IsCurrentRunAsync(Guid run);
}

/// <summary>The list of every job of the cluster, newest first (key: 0).</summary>
[Alias("FaceSwap.IJobIndexGrain")]
public interface IJobIndexGrain : IGrainWithIntegerKey
{
    /// <summary>Records a job; recording it again changes nothing.</summary>
    [Alias("Add")]
    Task AddAsync(string jobId, DateTimeOffset created);

    /// <summary>Job ids, newest first, after the cursor of a previous page.</summary>
    [Alias("List")]
    Task<JobIndexPage> ListAsync(int limit, string? cursor);

    /// <summary>Records whether a job is unfinished (running, or about to run again), so that a host's start resumes it.</summary>
    [Alias("Mark")]
    Task MarkAsync(string jobId, bool unfinished);

    /// <summary>
    /// The jobs that were unfinished when last recorded, newest first: what a starting host wakes up. An index written
    /// before the index recorded this gives every job once.
    /// </summary>
    [Alias("Unfinished")]
    Task<IReadOnlyList<string>> UnfinishedAsync();
}

/// <summary>Runs the face engine on images; placed only on inference silos.</summary>
[Alias("FaceSwap.IInferenceGrain")]
public interface IInferenceGrain : IGrainWithIntegerKey
{
    /// <summary>Checks the source face of a spec once, before a job dispatches any image.</summary>
    [Alias("CheckSource")]
    [ResponseTimeout("00:10:00")]
    Task<SourceCheck> CheckSourceAsync(JobSpec spec);

    /// <summary>Processes a batch: read, swap, write (or skip), one outcome per item.</summary>
    [Alias("Process")]
    [ResponseTimeout("00:10:00")]
    Task<IReadOnlyList<ImageOutcome>> ProcessAsync(WorkBatch batch);

    /// <summary>
    /// A thumbnail (longer side <paramref name="longest"/>) of an image that can only be decoded whole (a large PNG):
    /// inference silos decode full-size images anyway, api silos never do. Refused from the header over
    /// <paramref name="maxPixels"/>; files over <paramref name="maxBytes"/> are not read.
    /// </summary>
    [Alias("Thumbnail")]
    Task<ThumbnailResult> ThumbnailAsync(string path, int longest, long maxPixels, long maxBytes);

    /// <summary>
    /// Draws the contact sheet of a preview job (<see cref="JobOptions.Preview"/>) from its outcomes: a row per swapped
    /// face, input crop beside output crop with the face's figures, written as a PNG beside the job's summary. Returns
    /// how many faces it shows. Inference silos decode full-size images anyway; api silos never do.
    /// </summary>
    [Alias("ContactSheet")]
    [ResponseTimeout("00:10:00")]
    Task<int> ContactSheetAsync(string jobId, JobSpec spec);
}
