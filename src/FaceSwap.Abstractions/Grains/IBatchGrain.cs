using FaceSwap.Abstractions.Jobs;

namespace FaceSwap.Abstractions.Grains;

/// <summary>Owns one job (key: job id): lists the input lazily, keeps a bounded window in flight, records outcomes.</summary>
[Alias("FaceSwap.IBatchGrain")]
public interface IBatchGrain : IGrainWithStringKey
{
    /// <summary>Starts the job; calling it again with the same spec returns the current status.</summary>
    [Alias("Start")]
    Task<JobStatus> StartAsync(JobSpec spec);

    /// <summary>The job's status.</summary>
    [Alias("GetStatus")]
    Task<JobStatus> GetStatusAsync();

    /// <summary>Stops the job: nothing new is dispatched; work in flight finishes.</summary>
    [Alias("Cancel")]
    Task<JobStatus> CancelAsync();
}

/// <summary>Runs the face engine on images; placed only on inference silos.</summary>
[Alias("FaceSwap.IInferenceGrain")]
public interface IInferenceGrain : IGrainWithIntegerKey
{
    /// <summary>Checks the source face of a spec once, before a job dispatches any image.</summary>
    [Alias("CheckSource")]
    Task<SourceCheck> CheckSourceAsync(JobSpec spec);

    /// <summary>Processes a batch: read, swap, write (or skip), one outcome per item.</summary>
    [Alias("Process")]
    [ResponseTimeout("00:10:00")]
    Task<IReadOnlyList<ImageOutcome>> ProcessAsync(WorkBatch batch);
}
