using System.Collections.Concurrent;
using System.Diagnostics;
using FaceSwap.Abstractions.Grains;
using FaceSwap.Abstractions.Jobs;

namespace FaceSwap.Grains.Inference;

/// <summary>
/// Whether the BatchGrain activation that sent a batch is gone: its silo was lost and the job came back in a new
/// activation, which sends the same images again. The work of the gone one then stops before it reads an input or
/// writes an output. One question per job and run every couple of seconds per silo; an answer that does not come (the
/// job's silo is being declared dead) counts as "not gone", since conditional writes keep every output single anyway.
/// </summary>
public sealed class DispatcherCheck(IGrainFactory grains)
{
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);
    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<(string Job, Guid Run), Answer> answers = new();

    /// <summary>Whether the batch's dispatcher is known to be gone; false for batches that name none (partition grains').</summary>
    public async Task<bool> IsGoneAsync(WorkBatch batch)
    {
        if (batch.Run is not { } run)
        {
            return false;
        }

        if (answers.Count > MaxRemembered)
        {
            answers.Clear();
        }

        var answer = answers.AddOrUpdate(
            (batch.JobId, run),
            key => new Answer(AskAsync(key.Job, key.Run)),
            (key, old) => old.Stale && !old.Gone ? new Answer(AskAsync(key.Job, key.Run)) : old);
        return await answer.Task.ConfigureAwait(false);
    }

    private async Task<bool> AskAsync(string job, Guid run)
    {
        try
        {
            return !await grains.GetGrain<IBatchGrain>(job).IsCurrentRunAsync(run).WaitAsync(AskTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }

    /// <summary>One answer and when it was asked for; "gone" never changes back, so it is kept.</summary>
    private sealed class Answer(Task<bool> task)
    {
        private readonly long asked = Stopwatch.GetTimestamp();

        public Task<bool> Task { get; } = task;

        public bool Gone => Task is { IsCompletedSuccessfully: true, Result: true };

        public bool Stale => Task.IsCompleted && Stopwatch.GetElapsedTime(asked) > Fresh;
    }
}
